package p2p

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
)

const testChain = "p2p-test-chain"

// testKeys returns n node keys whose IDs ascend with the index, so tests
// can tell which node has the smaller ID.
func testKeys(n int) []*NodeKey {
	keys := make([]*NodeKey, 0, n)
	for i := 0; len(keys) < n; i++ {
		keys = append(keys, &NodeKey{PrivKey: ed25519.GenPrivKeyFromSecret([]byte(fmt.Sprintf("node-%d", i)))})
	}
	sort.Slice(keys, func(i, j int) bool { return IDOf(keys[i].PubKey()) < IDOf(keys[j].PubKey()) })
	return keys
}

// freePort reserves a loopback port number for a host to listen on later.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("P2P_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
}

func testConfig(listen string) Config {
	return Config{
		ListenAddr: listen, ChainID: testChain, Version: "test",
		Channels:  DefaultChannels(1<<20, 64<<10),
		RedialMin: 20 * time.Millisecond, RedialMax: 200 * time.Millisecond,
		Jitter:           func(time.Duration) time.Duration { return 0 },
		HandshakeTimeout: 5 * time.Second, DialTimeout: time.Second,
	}
}

// startHost starts a host that Stop is called on when the test ends.
func startHost(t testing.TB, cfg Config, key *NodeKey) *Host {
	t.Helper()
	h, err := New(cfg, key, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Stop)
	return h
}

// waitFor polls cond until it holds, failing the test after limit. The
// limit only bounds a hung test; nothing here measures speed.
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func hasPeer(h *Host, id ID) bool {
	for _, p := range h.Peers() {
		if p.ID == id {
			return true
		}
	}
	return false
}

// inbox collects the messages a host receives.
type inbox struct {
	mu   sync.Mutex
	msgs map[byte][]received
}

type received struct {
	from ID
	msg  string
}

func newInbox(t testing.TB, h *Host, chans ...byte) *inbox {
	in := &inbox{msgs: map[byte][]received{}}
	for _, ch := range chans {
		if err := h.Handle(ch, func(from ID, msg []byte) {
			in.mu.Lock()
			defer in.mu.Unlock()
			in.msgs[ch] = append(in.msgs[ch], received{from, string(msg)})
		}); err != nil {
			t.Fatal(err)
		}
	}
	return in
}

func (in *inbox) get(ch byte) []received {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]received(nil), in.msgs[ch]...)
}

// p2pGoroutines lists the stacks of goroutines running this package's code,
// other than tests themselves.
func p2pGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "bftnode/p2p.") && !strings.Contains(g, "testing.tRunner") && !strings.Contains(g, "testing.(*F)") {
			out = append(out, g)
		}
	}
	return out
}

func checkNoLeaks(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		left := p2pGoroutines()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left after Stop:\n%s", len(left), strings.Join(left, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func contextWithCancel(t testing.TB) (context.Context, context.CancelFunc) {
	return context.WithCancel(t.Context())
}
