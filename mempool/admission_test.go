package mempool

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bftnode/bftnode/abci"
	abcitypes "github.com/cometbft/cometbft/abci/types"
)

func TestConfigValidateNamesTheKey(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	cases := []struct {
		mutate func(*Config)
		want   string
	}{
		{func(c *Config) { c.Size = 0 }, "size"},
		{func(c *Config) { c.MaxTxsBytes = -1 }, "max_txs_bytes"},
		{func(c *Config) { c.MaxTxBytes = 0 }, "max_tx_bytes"},
		{func(c *Config) { c.MaxTxBytes = 100; c.MaxTxsBytes = 10 }, "exceeds max_txs_bytes"},
		{func(c *Config) { c.CacheSize = -5 }, "cache_size"},
	}
	for _, tc := range cases {
		cfg := DefaultConfig()
		tc.mutate(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate() = %v, want an error naming %q", err, tc.want)
		}
	}
}

func TestAdmissionRefusals(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Size = 3
	cfg.MaxTxBytes = 20
	cfg.MaxTxsBytes = 40
	n := newNode(t, cfg, nil)
	ctx := ctxT(t)

	_, err := n.mp.CheckTx(ctx, []byte(strings.Repeat("a", 10)+"="+strings.Repeat("b", 10)), "")
	var tooLarge ErrTxTooLarge
	if !errors.As(err, &tooLarge) || tooLarge.Max != 20 || tooLarge.Actual != 21 {
		t.Fatalf("21-byte tx: %v, want ErrTxTooLarge{20, 21}", err)
	}

	res, err := n.mp.CheckTx(ctx, []byte("no-separator"), "")
	if err != nil || res.IsOK() {
		t.Fatalf("invalid tx: %v, %v; want the app's non-zero code and no error", res, err)
	}

	admit(t, n.mp, "a=1")
	if _, err := n.mp.CheckTx(ctx, []byte("a=1"), ""); !errors.Is(err, ErrTxInCache) {
		t.Fatalf("duplicate: %v, want ErrTxInCache", err)
	}

	admit(t, n.mp, "bbbbbbbb=bbbbbbbbbbb") // 20 bytes: 23 in total
	_, err = n.mp.CheckTx(ctx, []byte("cccccccc=ccccccccccc"), "")
	var full ErrMempoolIsFull
	if !errors.As(err, &full) || full.TxsBytes != 23 || full.MaxTxsBytes != 40 {
		t.Fatalf("over max_txs_bytes: %v, want ErrMempoolIsFull at 23/40 bytes", err)
	}
	admit(t, n.mp, "c=3")
	_, err = n.mp.CheckTx(ctx, []byte("d=4"), "")
	if !errors.As(err, &full) || full.NumTxs != 3 || full.MaxTxs != 3 {
		t.Fatalf("over size: %v, want ErrMempoolIsFull at 3/3 txs", err)
	}

	// Refusing never drops what was admitted.
	want := []string{"a=1", "bbbbbbbb=bbbbbbbbbbb", "c=3"}
	if got := strs(n.mp.Txs(0)); !slices.Equal(got, want) {
		t.Fatalf("mempool holds %q, want %q", got, want)
	}
	if n.mp.Size() != 3 || n.mp.SizeBytes() != 26 {
		t.Fatalf("Size %d SizeBytes %d, want 3 and 26", n.mp.Size(), n.mp.SizeBytes())
	}

	// A block makes room again.
	commitBlock(t, n, 1, "a=1")
	admit(t, n.mp, "d=4")
}

func TestRejectedTxCanBeResentUnlessKeptInCache(t *testing.T) {
	for _, keep := range []bool{false, true} {
		cfg := DefaultConfig()
		cfg.KeepInvalidTxsInCache = keep
		n := newNode(t, cfg, nil)
		for i := range 2 {
			res, err := n.mp.CheckTx(ctxT(t), []byte("bad"), "")
			switch {
			case i == 1 && keep:
				if !errors.Is(err, ErrTxInCache) {
					t.Fatalf("keep=true, second send: %v, want ErrTxInCache", err)
				}
			case err != nil || res.IsOK():
				t.Fatalf("keep=%v, send %d: %v, %v; want the app's rejection", keep, i, res, err)
			}
		}
	}
}

func TestEmptyCacheStillRefusesTxsInTheMempool(t *testing.T) {
	cfg := DefaultConfig()
	cfg.CacheSize = 0
	n := newNode(t, cfg, nil)
	admit(t, n.mp, "a=1")
	if _, err := n.mp.CheckTx(ctxT(t), []byte("a=1"), ""); !errors.Is(err, ErrTxInCache) {
		t.Fatalf("duplicate with no cache: %v, want ErrTxInCache", err)
	}
}

func TestCacheForgetsTheLeastRecent(t *testing.T) {
	c := newKeyCache[TxKey](2)
	a, b, d := KeyOf([]byte("a")), KeyOf([]byte("b")), KeyOf([]byte("d"))
	if !c.push(a) || !c.push(b) || c.push(a) {
		t.Fatal("push did not report new keys correctly")
	}
	c.push(d) // evicts b: a was pushed again more recently
	if !c.has(a) || c.has(b) || !c.has(d) {
		t.Fatalf("after eviction: a=%v b=%v d=%v, want true false true", c.has(a), c.has(b), c.has(d))
	}
}

// Many callers at once, some sending the same tx: each distinct valid tx
// is admitted exactly once and every caller gets an answer.
func TestConcurrentCheckTx(t *testing.T) {
	n := newNode(t, DefaultConfig(), nil)
	const callers, perCaller, distinct = 32, 40, 600
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted = map[string]int{}
		rejected int
	)
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perCaller {
				tx := txName((c*perCaller + i) % distinct)
				if i%10 == 9 {
					tx = "invalid"
				}
				res, err := n.mp.CheckTx(ctxT(t), []byte(tx), "")
				mu.Lock()
				switch {
				case errors.Is(err, ErrTxInCache):
				case err != nil:
					t.Errorf("CheckTx(%s): %v", tx, err)
				case res.IsOK():
					accepted[tx]++
				default:
					rejected++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for tx, k := range accepted {
		if k != 1 {
			t.Errorf("%s accepted %d times", tx, k)
		}
	}
	if want := distinct * 9 / 10; len(accepted) != want {
		t.Errorf("%d distinct txs accepted, want %d", len(accepted), want)
	}
	if rejected == 0 {
		t.Error("the invalid tx was never rejected by the app")
	}
	if n.mp.Size() != len(accepted) {
		t.Errorf("Size %d, accepted %d", n.mp.Size(), len(accepted))
	}
}

// pipelineConn answers nothing until want checks are outstanding (or 5s
// have passed), so a mempool that waited for each answer before sending
// the next check would never get more than one request in flight.
type pipelineConn struct {
	mu          sync.Mutex
	outstanding []func()
	maxSeen     int
	want        int
	timer       *time.Timer
}

func (p *pipelineConn) CheckTxAsync(req *abcitypes.RequestCheckTx, done abci.CheckTxDone) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.outstanding = append(p.outstanding, func() { done(&abcitypes.ResponseCheckTx{GasWanted: 1}, nil) })
	p.maxSeen = max(p.maxSeen, len(p.outstanding))
	if p.timer == nil {
		p.timer = time.AfterFunc(5*time.Second, p.answerAll)
	}
	if len(p.outstanding) == p.want {
		go p.answerAll()
	}
}

func (p *pipelineConn) answerAll() {
	p.mu.Lock()
	answers := p.outstanding
	p.outstanding = nil
	p.mu.Unlock()
	for _, answer := range answers {
		answer()
	}
}

func (p *pipelineConn) Flush(ctx context.Context) error { return nil }

func TestChecksArePipelined(t *testing.T) {
	const callers = 32
	conn := &pipelineConn{want: callers}
	mp, err := New(DefaultConfig(), conn, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer mp.Close()
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := mp.CheckTx(ctxT(t), []byte(txName(i)), ""); err != nil {
				t.Errorf("CheckTx: %v", err)
			}
		}()
	}
	wg.Wait()
	if conn.maxSeen != callers {
		t.Fatalf("at most %d checks were in flight at once, want all %d", conn.maxSeen, callers)
	}
	if mp.Size() != callers {
		t.Fatalf("Size %d, want %d", mp.Size(), callers)
	}
}
