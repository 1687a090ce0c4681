package mempool

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bftnode/bftnode/abci"
	abcitypes "github.com/cometbft/cometbft/abci/types"
)

func TestUpdateRemovesIncludedTxsDurably(t *testing.T) {
	n := newNode(t, DefaultConfig(), nil)
	for _, tx := range []string{"a=1", "b=2", "c=3"} {
		admit(t, n.mp, tx)
	}
	commitBlock(t, n, 1, "a=1", "x=9", "c=3") // x=9 came from another node
	if got := strs(n.mp.Txs(0)); !slices.Equal(got, []string{"b=2"}) {
		t.Fatalf("after block 1: %q, want [b=2]", got)
	}
	if n.mp.Size() != 1 || n.mp.SizeBytes() != 3 || n.mp.Height() != 1 {
		t.Fatalf("Size %d SizeBytes %d Height %d, want 1, 3, 1", n.mp.Size(), n.mp.SizeBytes(), n.mp.Height())
	}
	for _, tx := range []string{"a=1", "x=9"} {
		if _, err := n.mp.CheckTx(ctxT(t), []byte(tx), ""); !errors.Is(err, ErrTxInCache) {
			t.Errorf("re-sending committed %s: %v, want ErrTxInCache", tx, err)
		}
	}
	n.reopen(t)
	if got := strs(n.mp.Txs(0)); !slices.Equal(got, []string{"b=2"}) || n.mp.Height() != 1 {
		t.Fatalf("after reopening: %q at height %d, want [b=2] at 1", got, n.mp.Height())
	}
}

func TestUpdateForgetsTxsTheBlockFailed(t *testing.T) {
	n := newNode(t, DefaultConfig(), nil)
	admit(t, n.mp, "a=1")
	if err := n.mp.Lock(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	err := n.mp.Update(1, [][]byte{[]byte("a=1")}, []*abcitypes.ExecTxResult{{Code: 5}})
	n.mp.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if n.mp.Size() != 0 {
		t.Fatalf("the included tx is still in the mempool")
	}
	admit(t, n.mp, "a=1") // may be valid later, so not refused as a duplicate
}

func TestUpdateMisuseIsAnError(t *testing.T) {
	n := newNode(t, DefaultConfig(), nil)
	ok := []*abcitypes.ExecTxResult{{}}
	tx := [][]byte{[]byte("a=1")}
	if err := n.mp.Update(1, tx, ok); err == nil || !strings.Contains(err.Error(), "without Lock") {
		t.Fatalf("Update without Lock: %v", err)
	}
	if err := n.mp.Lock(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	defer n.mp.Unlock()
	if err := n.mp.Update(1, tx, nil); err == nil || !strings.Contains(err.Error(), "1 txs but 0 results") {
		t.Fatalf("Update with missing results: %v", err)
	}
	if err := n.mp.Update(1, tx, ok); err != nil {
		t.Fatal(err)
	}
	if err := n.mp.Update(1, nil, nil); err == nil || !strings.Contains(err.Error(), "already updated to height 1") {
		t.Fatalf("Update at the same height again: %v", err)
	}
}

func TestRecheckDropsTxsABlockInvalidated(t *testing.T) {
	app := newOncePerKeyApp()
	n := newNode(t, DefaultConfig(), app)
	for _, tx := range []string{"a=1", "b=1", "c=1"} {
		admit(t, n.mp, tx)
	}
	commitBlock(t, n, 1, "b=2", "c=2") // from another node: b=1 and c=1 are now invalid
	eventually(t, "recheck drops b=1 and c=1", func() bool { return n.mp.Size() == 1 })
	if got := strs(n.mp.Txs(0)); !slices.Equal(got, []string{"a=1"}) {
		t.Fatalf("after recheck: %q, want [a=1]", got)
	}
	if app.rechecks.Load() < 3 {
		t.Fatalf("%d rechecks reached the app, want at least 3", app.rechecks.Load())
	}
	n.reopen(t)
	if got := strs(n.mp.Txs(0)); !slices.Equal(got, []string{"a=1"}) {
		t.Fatalf("after reopening: %q, want [a=1]", got)
	}
	admit(t, n.mp, "d=1") // a fresh tx after recheck is admitted normally
}

func TestNoRecheckWhenDisabled(t *testing.T) {
	app := newOncePerKeyApp()
	cfg := DefaultConfig()
	cfg.Recheck = false
	n := newNode(t, cfg, app)
	admit(t, n.mp, "b=1")
	commitBlock(t, n, 1, "b=2")
	commitBlock(t, n, 2) // a second Lock drains anything a recheck would have sent
	if n.mp.Size() != 1 || app.rechecks.Load() != 0 {
		t.Fatalf("Recheck=false: Size %d, %d rechecks; want 1 and 0", n.mp.Size(), app.rechecks.Load())
	}
}

// Update returns once the included txs are removed, while the app is still
// holding the recheck of the rest.
func TestUpdateDoesNotWaitForRecheck(t *testing.T) {
	app := &gatedRecheckApp{oncePerKeyApp: newOncePerKeyApp(), gate: make(chan struct{})}
	n := newNode(t, DefaultConfig(), app)
	admit(t, n.mp, "a=1")
	admit(t, n.mp, "b=1")
	committed := make(chan struct{})
	go func() {
		defer close(committed)
		commitBlock(t, n, 1, "a=1", "b=2")
	}()
	select {
	case <-committed:
	case <-time.After(10 * time.Second):
		close(app.gate)
		t.Fatal("Update waited for the recheck the app is holding")
	}
	if got := strs(n.mp.Txs(0)); !slices.Equal(got, []string{"b=1"}) {
		t.Fatalf("right after Update: %q, want [b=1] (recheck has not answered)", got)
	}
	if got := strs(n.mp.ReapMaxBytesMaxGas(-1, -1)); !slices.Equal(got, []string{"b=1"}) {
		t.Fatalf("reaping during recheck: %q", got)
	}
	close(app.gate)
	eventually(t, "recheck drops b=1", func() bool { return n.mp.Size() == 0 })
}

// A block includes a tx whose admission is still under way: when the app's
// answer arrives the tx must not enter the mempool or stay in the store.
func TestTxIncludedWhileBeingAdmitted(t *testing.T) {
	conn := newManualConn()
	dir := t.TempDir()
	mp, err := New(DefaultConfig(), conn, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := mp.CheckTx(ctxT(t), []byte("a=1"), "")
		errc <- err
	}()
	<-conn.arrived
	if err := mp.Lock(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if err := mp.Update(1, [][]byte{[]byte("a=1")}, []*abcitypes.ExecTxResult{{}}); err != nil {
		t.Fatal(err)
	}
	mp.Unlock()
	conn.answerAll()
	if err := <-errc; err != nil {
		t.Fatalf("CheckTx: %v", err)
	}
	if mp.Size() != 0 {
		t.Fatal("a committed tx entered the mempool")
	}
	if _, err := mp.CheckTx(ctxT(t), []byte("a=1"), ""); !errors.Is(err, ErrTxInCache) {
		t.Fatalf("re-sending the committed tx: %v, want ErrTxInCache", err)
	}
	mp.Close()
	reopened, err := New(DefaultConfig(), newManualConn(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	if reopened.Size() != 0 {
		t.Fatal("the committed tx came back from the store")
	}
}

func TestReapLimits(t *testing.T) {
	n := newNode(t, DefaultConfig(), nil)
	txs := []string{"a=1", strings.Repeat("k", 200) + "=v", "b=2", "c=3"}
	for _, tx := range txs {
		admit(t, n.mp, tx)
	}
	size := func(tx string) int64 { return abci.ProtoTxSize(len(tx)) }
	cases := []struct {
		maxBytes, maxGas int64
		want             []string
	}{
		{-1, -1, txs},
		{-1, 2, txs[:2]}, // kvstore wants 1 gas per tx
		{-1, 0, nil},
		{size(txs[0]) + size(txs[1]), -1, txs[:2]},
		{size(txs[0]) + size(txs[1]) - 1, -1, txs[:1]},
		// Reaping takes a prefix: the small txs behind a big one wait.
		{size(txs[0]) + size(txs[2]) + size(txs[3]), -1, txs[:1]},
		{0, -1, nil},
	}
	for _, tc := range cases {
		got := strs(n.mp.ReapMaxBytesMaxGas(tc.maxBytes, tc.maxGas))
		if !slices.Equal(got, tc.want) {
			t.Errorf("ReapMaxBytesMaxGas(%d, %d) = %q, want %q", tc.maxBytes, tc.maxGas, got, tc.want)
		}
	}
	if got := strs(n.mp.ReapMaxTxs(2)); !slices.Equal(got, txs[:2]) {
		t.Errorf("ReapMaxTxs(2) = %q", got)
	}
	if got := n.mp.ReapMaxTxs(0); len(got) != 0 {
		t.Errorf("ReapMaxTxs(0) = %q", got)
	}
	if n.mp.Size() != len(txs) {
		t.Errorf("reaping removed txs: Size %d", n.mp.Size())
	}
}

func TestTxsAvailableOncePerHeight(t *testing.T) {
	n := newNode(t, DefaultConfig(), nil)
	fired := func() bool {
		select {
		case <-n.mp.TxsAvailable():
			return true
		default:
			return false
		}
	}
	if fired() {
		t.Fatal("fired on an empty mempool")
	}
	admit(t, n.mp, "a=1")
	if !fired() {
		t.Fatal("did not fire at the first admission")
	}
	admit(t, n.mp, "b=2")
	if fired() {
		t.Fatal("fired twice at one height")
	}
	commitBlock(t, n, 1, "a=1")
	if !fired() {
		t.Fatal("did not fire after a block that left txs behind")
	}
	commitBlock(t, n, 2, "b=2")
	if fired() {
		t.Fatal("fired after a block that emptied the mempool")
	}
	admit(t, n.mp, "c=3")
	if !fired() {
		t.Fatal("did not fire at the first admission after an empty block")
	}
}

func TestFlushEmptiesMempoolStoreAndCache(t *testing.T) {
	n := newNode(t, DefaultConfig(), nil)
	for _, tx := range []string{"a=1", "b=2", "c=3"} {
		admit(t, n.mp, tx)
	}
	if err := n.mp.Flush(); err != nil {
		t.Fatal(err)
	}
	if n.mp.Size() != 0 || n.mp.SizeBytes() != 0 {
		t.Fatalf("after Flush: Size %d SizeBytes %d", n.mp.Size(), n.mp.SizeBytes())
	}
	admit(t, n.mp, "b=2") // the cache was emptied too
	n.reopen(t)
	if got := strs(n.mp.Txs(0)); !slices.Equal(got, []string{"b=2"}) {
		t.Fatalf("after reopening: %q, want [b=2]", got)
	}
	if got := n.mp.Txs(1); len(got) != 1 || !n.mp.Contains([]byte("b=2")) || n.mp.Contains([]byte("a=1")) {
		t.Fatalf("Txs(1) = %q, Contains wrong", got)
	}
}
