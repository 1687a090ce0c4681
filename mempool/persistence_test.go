package mempool

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/bftnode/bftnode/abci"
	abcitypes "github.com/cometbft/cometbft/abci/types"
)

func TestTxsSurviveReopenInArrivalOrder(t *testing.T) {
	n := newNode(t, DefaultConfig(), nil)
	var want []string
	for i := range 30 {
		admit(t, n.mp, txName(i))
		want = append(want, txName(i))
	}
	n.reopen(t)
	if got := strs(n.mp.Txs(0)); !slices.Equal(got, want) {
		t.Fatalf("after reopening: %q, want %q", got, want)
	}
	for i := 30; i < 40; i++ {
		admit(t, n.mp, txName(i))
		want = append(want, txName(i))
	}
	n.reopen(t)
	if got := strs(n.mp.Txs(0)); !slices.Equal(got, want) {
		t.Fatalf("after a second reopen: %q, want %q", got, want)
	}
	if n.mp.SizeBytes() != int64(40*len(txName(0))) {
		t.Fatalf("SizeBytes %d after reopening", n.mp.SizeBytes())
	}
	if _, err := n.mp.CheckTx(ctxT(t), []byte(txName(3)), ""); !errors.Is(err, ErrTxInCache) {
		t.Fatalf("re-sending a re-admitted tx: %v, want ErrTxInCache", err)
	}
}

func TestReopenDeletesWhatTheAppNowRejects(t *testing.T) {
	app := newOncePerKeyApp()
	n := newNode(t, DefaultConfig(), app)
	for _, tx := range []string{"a=1", "b=2", "c=3"} {
		admit(t, n.mp, tx)
	}
	if err := n.mp.Close(); err != nil {
		t.Fatal(err)
	}
	// While the mempool is down a block sets b.
	ctx := ctxT(t)
	if _, err := n.conns.Consensus.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Txs: [][]byte{[]byte("b=9")}, Height: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.conns.Consensus.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	n.open(t)
	want := []string{"a=1", "c=3"}
	if got := strs(n.mp.Txs(0)); !slices.Equal(got, want) {
		t.Fatalf("after reopening: %q, want %q", got, want)
	}
	n.reopen(t)
	if got := strs(n.mp.Txs(0)); !slices.Equal(got, want) {
		t.Fatalf("the rejected tx came back from the store: %q, want %q", got, want)
	}
}

func TestReopenWithSmallerLimitsKeepsTheOldest(t *testing.T) {
	n := newNode(t, DefaultConfig(), nil)
	for i := range 5 {
		admit(t, n.mp, txName(i))
	}
	n.mp.Close()
	n.cfg.Size = 3
	n.open(t)
	want := []string{txName(0), txName(1), txName(2)}
	if got := strs(n.mp.Txs(0)); !slices.Equal(got, want) {
		t.Fatalf("with size 3: %q, want %q", got, want)
	}
	n.mp.Close()
	n.cfg.Size = 10
	n.open(t)
	if got := strs(n.mp.Txs(0)); !slices.Equal(got, want) {
		t.Fatalf("the dropped txs came back from the store: %q, want %q", got, want)
	}
}

func TestAppFailureLosesNothing(t *testing.T) {
	n := newNode(t, DefaultConfig(), nil)
	admit(t, n.mp, "a=1")
	n.app.stop()
	<-n.conns.Failed()
	_, err := n.mp.CheckTx(ctxT(t), []byte("b=2"), "")
	if !errors.Is(err, abci.ErrConnFailed) {
		t.Fatalf("CheckTx with the app gone: %v, want abci.ErrConnFailed", err)
	}
	if got := strs(n.mp.Txs(0)); !slices.Equal(got, []string{"a=1"}) {
		t.Fatalf("mempool holds %q after the failure, want [a=1]", got)
	}
	n.mp.Close()

	// A restarted app gets the stored tx back.
	fresh := newNode(t, DefaultConfig(), nil)
	fresh.mp.Close()
	fresh.dir = n.dir
	fresh.open(t)
	if got := strs(fresh.mp.Txs(0)); !slices.Equal(got, []string{"a=1"}) {
		t.Fatalf("after restarting the app: %q, want [a=1]", got)
	}
}

func TestCheckTxHonoursItsContext(t *testing.T) {
	conn := newManualConn()
	mp, err := New(DefaultConfig(), conn, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer mp.Close()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := mp.CheckTx(ctx, []byte("a=1"), "")
		errc <- err
	}()
	<-conn.arrived
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("CheckTx after its ctx ended: %v, want context.Canceled", err)
	}
	conn.answerAll()
	eventually(t, "the abandoned caller's tx is admitted", func() bool { return mp.Size() == 1 })
}

// A start told of recently committed transactions neither re-admits a
// stored copy of one (a crash kept it after its block) nor admits one sent
// again by a peer or client.
func TestReopenDropsAndRefusesRecentlyCommittedTxs(t *testing.T) {
	n := newNode(t, DefaultConfig(), nil)
	for _, tx := range []string{"a=1", "b=2", "c=3"} {
		admit(t, n.mp, tx)
	}
	if err := n.mp.Close(); err != nil {
		t.Fatal(err)
	}
	n.cfg.Committed = [][]byte{[]byte("b=2"), []byte("d=4")}
	n.open(t)
	if got, want := strs(n.mp.Txs(0)), []string{"a=1", "c=3"}; !slices.Equal(got, want) {
		t.Fatalf("after reopening: %q, want %q", got, want)
	}
	for _, tx := range []string{"b=2", "d=4"} {
		if _, err := n.mp.CheckTx(ctxT(t), []byte(tx), ""); !errors.Is(err, ErrTxInCache) {
			t.Errorf("sending committed %s again: %v, want ErrTxInCache", tx, err)
		}
	}
	n.cfg.Committed = nil
	n.reopen(t)
	if got, want := strs(n.mp.Txs(0)), []string{"a=1", "c=3"}; !slices.Equal(got, want) {
		t.Fatalf("the committed copy stayed stored: %q, want %q", got, want)
	}
}

func TestOnlyClientSubmissionsAreStored(t *testing.T) {
	n := newNode(t, DefaultConfig(), nil)
	admit(t, n.mp, "local=1")
	if _, err := n.mp.CheckTx(ctxT(t), []byte("relayed=1"), "peer-a"); err != nil {
		t.Fatal(err)
	}
	admit(t, n.mp, "local=2")
	if got := strs(n.mp.Txs(0)); !slices.Equal(got, []string{"local=1", "relayed=1", "local=2"}) {
		t.Fatalf("admitted %q", got)
	}
	// The node a client gave the relayed tx to holds it durably; here it
	// is only a copy, and a restart forgets it.
	n.reopen(t)
	if got := strs(n.mp.Txs(0)); !slices.Equal(got, []string{"local=1", "local=2"}) {
		t.Fatalf("after reopening: %q, want only the client submissions", got)
	}
}

func TestARelayedTxStaysInGossipOrder(t *testing.T) {
	n := newNode(t, DefaultConfig(), nil)
	sent := map[PeerID][][]byte{}
	g, err := NewGossip(n.mp, DefaultGossipConfig(), func(p PeerID, batch [][]byte) { sent[p] = append(sent[p], batch...) })
	if err != nil {
		t.Fatal(err)
	}
	g.AddPeer("peer-b")
	admit(t, n.mp, "local=1")
	if _, err := g.Receive(ctxT(t), "peer-a", [][]byte{[]byte("relayed=1")}); err != nil {
		t.Fatal(err)
	}
	admit(t, n.mp, "local=2")
	g.SendPending()
	if got := strs(sent["peer-b"]); !slices.Equal(got, []string{"local=1", "relayed=1", "local=2"}) {
		t.Fatalf("gossiped %q to a third peer, want every tx once in admission order", got)
	}
	if got := strs(sent["peer-a"]); !slices.Equal(got, []string{"local=1", "local=2"}) {
		t.Fatalf("gossiped %q to the relaying peer, want the others", got)
	}
}

// TestCheckTxAsyncReturnsBeforeTheApp submits a tx to an app that has not
// answered yet: CheckTxAsync returns at once, refuses a duplicate at once,
// and the outcome arrives only after the app answers, with the tx then in
// the mempool and on disk.
func TestCheckTxAsyncReturnsBeforeTheApp(t *testing.T) {
	conn := newManualConn()
	dir := t.TempDir()
	mp, err := New(DefaultConfig(), conn, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	outcome, err := mp.CheckTxAsync([]byte("a=1"), "")
	if err != nil {
		t.Fatalf("CheckTxAsync: %v", err)
	}
	<-conn.arrived
	if _, err := mp.CheckTxAsync([]byte("a=1"), ""); !errors.Is(err, ErrTxInCache) {
		t.Fatalf("duplicate while the first is checked: %v, want ErrTxInCache", err)
	}
	select {
	case r := <-outcome:
		t.Fatalf("an outcome before the app answered: %+v", r)
	default:
	}
	if mp.Size() != 0 {
		t.Fatalf("size %d before the app answered, want 0", mp.Size())
	}
	conn.answerAll()
	r := <-outcome
	if r.Err != nil || !r.Response.IsOK() {
		t.Fatalf("outcome: %+v", r)
	}
	if mp.Size() != 1 {
		t.Fatalf("size %d once the outcome arrived, want 1", mp.Size())
	}
	if err := mp.Close(); err != nil {
		t.Fatal(err)
	}
	// The outcome promised the tx is on disk: a mempool reopened on the
	// store re-admits it.
	again := newManualConn()
	go func() {
		<-again.arrived
		again.answerAll()
	}()
	reopened, err := New(DefaultConfig(), again, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	if got := strs(reopened.Txs(0)); !slices.Equal(got, []string{"a=1"}) {
		t.Fatalf("reopened mempool holds %q, want [a=1]", got)
	}
}
