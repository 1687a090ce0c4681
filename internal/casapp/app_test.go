package casapp

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
)

var ctx = context.Background()

func finalize(t *testing.T, a *App, h int64, txs ...[]byte) *abci.ResponseFinalizeBlock {
	t.Helper()
	res, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: h, Txs: txs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Commit(ctx, &abci.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestOpsRoundTrip(t *testing.T) {
	for _, o := range []Op{
		{ID: "c1-7", Kind: Read, Key: "r0"},
		{ID: "x", Kind: Write, Key: "r1", Value: "5"},
		{ID: "y", Kind: CAS, Key: "r1", Value: "5", New: "6"},
		{ID: "z", Kind: Write, Key: "r1", Value: ""},
	} {
		got, err := ParseOp(o.Encode())
		if err != nil || got != o {
			t.Errorf("%q: parsed %+v, %v; want %+v", o.Encode(), got, err, o)
		}
	}
	for _, bad := range []string{"op/", "op/1/read", "op/1/read/", "op/1/read/k/extra", "op/1/write/k", "op/1/swap/k/1", "op/1/cas/k/1", "op//read/k"} {
		if _, err := ParseOp([]byte(bad)); err == nil || err == errNotOp {
			t.Errorf("%q: want a malformed-operation error, got %v", bad, err)
		}
	}
	if _, err := ParseOp([]byte("key=value")); err != errNotOp {
		t.Errorf("plain write: %v, want errNotOp", err)
	}
}

func TestRegisterSemantics(t *testing.T) {
	a := New(Faults{})
	res := finalize(t, a, 1,
		Op{ID: "1", Kind: Read, Key: "r"}.Encode(),
		Op{ID: "2", Kind: Write, Key: "r", Value: "a"}.Encode(),
		Op{ID: "3", Kind: CAS, Key: "r", Value: "b", New: "c"}.Encode(),
		Op{ID: "4", Kind: CAS, Key: "r", Value: "a", New: "d"}.Encode(),
		Op{ID: "5", Kind: Read, Key: "r"}.Encode(),
		[]byte("plain=1"),
		[]byte("op/6/bogus/r"),
	)
	want := []string{"", "a", "fail", "ok", "d", "", ""}
	for i, w := range want {
		if got := string(res.TxResults[i].Data); got != w {
			t.Errorf("result %d: %q, want %q", i, got, w)
		}
	}
	if res.TxResults[6].Code == abci.CodeTypeOK {
		t.Error("a malformed operation succeeded")
	}
	q, _ := a.Query(ctx, &abci.RequestQuery{Data: []byte("r")})
	if string(q.Value) != "d" || q.Height != 1 {
		t.Errorf("query: %q at %d", q.Value, q.Height)
	}
	info, _ := a.Info(ctx, &abci.RequestInfo{})
	if info.LastBlockHeight != 1 || !bytes.Equal(info.LastBlockAppHash, res.AppHash) {
		t.Errorf("info %+v does not match the committed block", info)
	}
}

func TestCheckTxRefusesMalformedOps(t *testing.T) {
	a := New(Faults{})
	for tx, ok := range map[string]bool{"op/1/read/k": true, "k=v": true, "": false, "op/1/read": false} {
		res, _ := a.CheckTx(ctx, &abci.RequestCheckTx{Tx: []byte(tx)})
		if (res.Code == abci.CodeTypeOK) != ok {
			t.Errorf("CheckTx %q: code %d", tx, res.Code)
		}
	}
}

func TestAppHashIsDeterministicAndChained(t *testing.T) {
	a, b := New(Faults{}), New(Faults{})
	tx := Op{ID: "1", Kind: Write, Key: "r", Value: "v"}.Encode()
	ra, rb := finalize(t, a, 1, tx), finalize(t, b, 1, tx)
	if !bytes.Equal(ra.AppHash, rb.AppHash) {
		t.Fatal("two replicas computed different app hashes")
	}
	if r2 := finalize(t, a, 2); bytes.Equal(r2.AppHash, ra.AppHash) {
		t.Fatal("an empty block left the app hash unchanged: it must chain")
	}
}

func TestRefinalizingBeforeCommitDiscardsTheStagedBlock(t *testing.T) {
	a := New(Faults{})
	tx := Op{ID: "1", Kind: CAS, Key: "r", Value: "", New: "x"}.Encode()
	if _, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: 1, Txs: [][]byte{tx}}); err != nil {
		t.Fatal(err)
	}
	// The node crashed before Commit and runs the block again.
	res := finalize(t, a, 1, tx)
	if string(res.TxResults[0].Data) != "ok" {
		t.Fatalf("the replayed CAS saw the uncommitted first run: %q", res.TxResults[0].Data)
	}
	if _, err := a.Commit(ctx, &abci.RequestCommit{}); err == nil {
		t.Fatal("Commit without FinalizeBlock succeeded")
	}
}

func TestFaults(t *testing.T) {
	tx := []byte("k=v")
	honest := finalize(t, New(Faults{}), 1, tx)

	wrong := finalize(t, New(Faults{WrongResults: 1}), 1, tx)
	if len(wrong.TxResults) != 2 {
		t.Errorf("WrongResults: %d results for 1 tx", len(wrong.TxResults))
	}
	bad := finalize(t, New(Faults{BadAppHash: 1}), 1, tx)
	if bytes.Equal(bad.AppHash, honest.AppHash) {
		t.Error("BadAppHash returned the honest hash")
	}
	late := New(Faults{BadAppHash: 2})
	if r := finalize(t, late, 1, tx); !bytes.Equal(r.AppHash, honest.AppHash) {
		t.Error("a fault fired before its height")
	}

	exiting := New(Faults{ExitInFinalize: 2})
	var code int
	exiting.exit = func(c int) { code = c }
	finalize(t, exiting, 1)
	if code != 0 {
		t.Fatal("exited before the fault's height")
	}
	_, _ = exiting.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: 2})
	if code == 0 {
		t.Fatal("did not exit in FinalizeBlock of the fault's height")
	}
}

func TestMisbehaviorIsRecordedAndQueryable(t *testing.T) {
	a := New(Faults{})
	_, err := a.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{Height: 5, Misbehavior: []abci.Misbehavior{
		{Type: abci.MisbehaviorType_DUPLICATE_VOTE, Validator: abci.Validator{Address: []byte{1, 2}}, Height: 4},
	}})
	if err != nil {
		t.Fatal(err)
	}
	q, _ := a.Query(ctx, &abci.RequestQuery{Path: "/misbehavior"})
	if string(q.Value) != "null" {
		t.Fatalf("misbehavior of an uncommitted block recorded: %s", q.Value)
	}
	if _, err := a.Commit(ctx, &abci.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	q, _ = a.Query(ctx, &abci.RequestQuery{Path: "/misbehavior"})
	var got []Misbehavior
	if err := json.Unmarshal(q.Value, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Type != "DUPLICATE_VOTE" || got[0].Height != 4 || got[0].AtBlock != 5 || !bytes.Equal(got[0].Validator, []byte{1, 2}) {
		t.Fatalf("recorded %+v", got)
	}
}

// FuzzParseOp: any transaction parses as an operation, as "not an
// operation", or fails with an error; a parsed operation encodes back to
// the same transaction.
func FuzzParseOp(f *testing.F) {
	f.Add([]byte("op/1/read/k"))
	f.Add([]byte("op/1/cas/k/a/b"))
	f.Add([]byte("op/1/write/k/"))
	f.Add([]byte("k=v"))
	f.Fuzz(func(t *testing.T, tx []byte) {
		o, err := ParseOp(tx)
		if err != nil {
			return
		}
		if got := o.Encode(); !bytes.Equal(got, tx) {
			t.Fatalf("%q parses to %+v, which encodes to %q", tx, o, got)
		}
	})
}
