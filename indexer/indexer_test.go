package indexer

import (
	"context"
	"fmt"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/pubsub/query"
	"github.com/cometbft/cometbft/types"
)

func attr(k, v string) abci.EventAttribute { return abci.EventAttribute{Key: k, Value: v, Index: true} }

func event(typ string, attrs ...abci.EventAttribute) abci.Event {
	return abci.Event{Type: typ, Attributes: attrs}
}

func openTemp(t testing.TB) *Indexer {
	t.Helper()
	x, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

type testTx struct {
	tx     string
	code   uint32
	events []abci.Event
}

func indexBlock(t testing.TB, x *Indexer, height int64, blockEvents []abci.Event, txs ...testTx) {
	t.Helper()
	resp := &abci.ResponseFinalizeBlock{Events: blockEvents}
	var btxs types.Txs
	for _, tx := range txs {
		btxs = append(btxs, types.Tx(tx.tx))
		resp.TxResults = append(resp.TxResults, &abci.ExecTxResult{Code: tx.code, Events: tx.events})
	}
	if err := x.Index(height, btxs, resp); err != nil {
		t.Fatal(err)
	}
}

// fixture indexes three blocks whose transactions and block events exercise
// every kind of condition.
func fixture(t testing.TB) *Indexer {
	x := openTemp(t)
	indexBlock(t, x, 1, []abci.Event{event("begin", attr("proposer", "v1"))},
		testTx{tx: "a", events: []abci.Event{
			event("app", attr("creator", "alice"), attr("key", "a"), attr("amount", "10"),
				abci.EventAttribute{Key: "note", Value: "x", Index: false}),
			event("transfer", attr("sender", "bob"), attr("recipient", "carol")),
		}})
	indexBlock(t, x, 2, []abci.Event{
		event("reward", attr("to", "alice"), attr("amount", "3")),
		event("reward", attr("to", "bob"), attr("amount", "4")),
	},
		testTx{tx: "b", events: []abci.Event{event("app", attr("creator", "bob"), attr("key", "b"), attr("amount", "20"))}},
		testTx{tx: "c", code: 1, events: []abci.Event{event("app", attr("creator", "alice"), attr("key", "a/b"), attr("amount", "30"))}},
	)
	indexBlock(t, x, 3, nil,
		testTx{tx: "d", events: []abci.Event{
			event("app", attr("creator", "alice"), attr("key", "d"), attr("amount", "7.5")),
			event("app", attr("creator", "bob"), attr("key", "dd")),
			event("time", attr("at", "2024-01-02T03:04:05Z"), attr("day", "2024-01-02")),
			event("", attr("untyped", "1")),
			event("tx", attr("height", "99")),
		}})
	return x
}

func txIDs(rs []*abci.TxResult) string {
	var s []string
	for _, r := range rs {
		s = append(s, fmt.Sprintf("%d/%d", r.Height, r.Index))
	}
	return strings.Join(s, " ")
}

func hashOf(tx string) string { return fmt.Sprintf("%X", types.Tx(tx).Hash()) }

func TestSearchTxsQuerySemantics(t *testing.T) {
	x := fixture(t)
	cases := []struct{ q, want string }{
		{"app.creator = 'alice'", "1/0 2/1 3/0"},
		{"app.creator = 'alice' AND tx.height > 1", "2/1 3/0"},
		{"tx.height = 2", "2/0 2/1"},
		{"tx.height >= 2 AND tx.height < 3", "2/0 2/1"},
		{"tx.height > 1.5 AND tx.height <= 2.9", "2/0 2/1"},
		{"tx.height = 2.5", ""},
		{"tx.height = 2 AND tx.height = 3", ""},
		{"tx.height EXISTS", "1/0 2/0 2/1 3/0"},
		{"tx.height CONTAINS '2'", "2/0 2/1"},
		{"app.amount > 8", "1/0 2/0 2/1"},
		{"app.amount < 8", "3/0"},
		{"app.amount >= 7.5", "1/0 2/0 2/1 3/0"},
		{"app.amount = 20", "2/0"},
		// Conditions on attributes hold within one event (CometBFT v0.38).
		{"app.creator = 'bob' AND app.key = 'dd'", "3/0"},
		{"app.creator = 'alice' AND app.key = 'dd'", ""},
		{"app.creator = 'alice' AND transfer.sender = 'bob'", ""},
		{"app.creator = 'alice' AND app.amount > 15", "2/1"},
		{"app.creator CONTAINS 'li' AND app.amount < 15", "1/0 3/0"},
		{"app.note = 'x'", ""},
		{"app.note EXISTS", ""},
		{"transfer.sender EXISTS", "1/0"},
		{"app.creator CONTAINS 'li'", "1/0 2/1 3/0"},
		{"app.key = 'a'", "1/0"},
		{"app.key CONTAINS 'a'", "1/0 2/1"},
		{"tx.hash = '" + hashOf("b") + "'", "2/0"},
		{"tx.hash = '" + strings.ToLower(hashOf("b")) + "'", "2/0"},
		{"tx.hash = '" + hashOf("b") + "' AND tx.height = 3", ""},
		{"tx.hash = '" + hashOf("b") + "' AND app.creator = 'bob'", "2/0"},
		{"tx.hash CONTAINS '" + hashOf("d")[:6] + "'", "3/0"},
		{"time.at > TIME 2024-01-01T00:00:00Z", "3/0"},
		{"time.at < TIME 2024-01-01T00:00:00Z", ""},
		{"time.day = DATE 2024-01-02", "3/0"},
		{"time.day >= DATE 2024-01-03", ""},
		{"tm.event = 'Tx'", ""},
		{"untyped EXISTS", ""},
		{"app.missing = 'x' AND tx.height = 1", ""},
	}
	for _, tc := range cases {
		t.Run(tc.q, func(t *testing.T) {
			q, err := query.New(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			got, total, err := x.SearchTxs(context.Background(), q, Page{Number: 1, Size: 100})
			if err != nil {
				t.Fatal(err)
			}
			if txIDs(got) != tc.want {
				t.Errorf("got %q, want %q", txIDs(got), tc.want)
			}
			if want := len(strings.Fields(tc.want)); total != want {
				t.Errorf("total %d, want %d", total, want)
			}
		})
	}
}

func TestSearchTxsReservedAttributesNotIndexed(t *testing.T) {
	x := fixture(t)
	// Block 3's tx has an app attribute "tx.height" = 99; the tx's own
	// height wins.
	q := query.MustCompile("tx.height = 99")
	got, _, err := x.SearchTxs(context.Background(), q, Page{Number: 1, Size: 10})
	if err != nil || len(got) != 0 {
		t.Fatalf("got %v, %v; want nothing", txIDs(got), err)
	}
}

func TestSearchTxsBadHash(t *testing.T) {
	x := fixture(t)
	_, _, err := x.SearchTxs(context.Background(), query.MustCompile("tx.hash = 'zz'"), Page{Number: 1, Size: 10})
	if err == nil || !strings.Contains(err.Error(), "not a hex-encoded hash") {
		t.Fatalf("err = %v", err)
	}
}

func TestGetTx(t *testing.T) {
	x := fixture(t)
	r, err := x.GetTx(types.Tx("c").Hash())
	if err != nil || r == nil {
		t.Fatalf("GetTx: %v %v", r, err)
	}
	if r.Height != 2 || r.Index != 1 || string(r.Tx) != "c" || r.Result.Code != 1 {
		t.Fatalf("got %+v", r)
	}
	if r, err := x.GetTx(types.Tx("zzz").Hash()); r != nil || err != nil {
		t.Fatalf("unknown hash: %v %v", r, err)
	}
	if _, err := x.GetTx(nil); err == nil {
		t.Fatal("empty hash accepted")
	}
}

// TestGetTxKeepsSuccessfulResult: a transaction executed again and failing
// (as a duplicate would) keeps answering with its successful execution; a
// later success replaces an earlier failure.
func TestGetTxKeepsSuccessfulResult(t *testing.T) {
	x := openTemp(t)
	indexBlock(t, x, 1, nil, testTx{tx: "t"}, testTx{tx: "f", code: 5})
	indexBlock(t, x, 2, nil, testTx{tx: "t", code: 7}, testTx{tx: "f"})
	r, _ := x.GetTx(types.Tx("t").Hash())
	if r.Height != 1 || r.Result.Code != 0 {
		t.Errorf("t: got height %d code %d, want the success at height 1", r.Height, r.Result.Code)
	}
	r, _ = x.GetTx(types.Tx("f").Hash())
	if r.Height != 2 || r.Result.Code != 0 {
		t.Errorf("f: got height %d code %d, want the success at height 2", r.Height, r.Result.Code)
	}
}

func TestIndexIsIdempotentAndChecksInput(t *testing.T) {
	x := fixture(t)
	if x.LastHeight() != 3 {
		t.Fatalf("last height %d", x.LastHeight())
	}
	// Indexing height 2 again with other content is a no-op.
	indexBlock(t, x, 2, nil, testTx{tx: "zzz", events: []abci.Event{event("app", attr("creator", "mallory"))}})
	got, _, _ := x.SearchTxs(context.Background(), query.MustCompile("app.creator = 'mallory'"), Page{Number: 1, Size: 10})
	if len(got) != 0 {
		t.Fatal("re-indexing a height changed the index")
	}
	err := x.Index(4, types.Txs{types.Tx("x")}, &abci.ResponseFinalizeBlock{})
	if err == nil || !strings.Contains(err.Error(), "1 transactions but 0 results") {
		t.Fatalf("mismatched results: %v", err)
	}
	if err := x.Index(4, nil, nil); err == nil {
		t.Fatal("nil response accepted")
	}
	if x.LastHeight() != 3 {
		t.Fatal("a refused block moved the last height")
	}
}

func TestReopenKeepsLastHeight(t *testing.T) {
	dir := t.TempDir()
	x, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	indexBlock(t, x, 1, nil, testTx{tx: "a"})
	x.Close()
	x, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if x.LastHeight() != 1 {
		t.Fatalf("last height %d after reopening", x.LastHeight())
	}
}

func blockHeights(t *testing.T, x *Indexer, q string, pg Page) ([]int64, int) {
	t.Helper()
	hs, total, err := x.SearchBlocks(context.Background(), query.MustCompile(q), pg)
	if err != nil {
		t.Fatal(err)
	}
	return hs, total
}

func TestSearchBlocks(t *testing.T) {
	x := fixture(t)
	all := Page{Number: 1, Size: 100}
	desc := Page{Number: 1, Size: 100, Descending: true}
	cases := []struct {
		q    string
		pg   Page
		want string
	}{
		{"block.height > 1", desc, "[3 2]"},
		{"block.height > 1", all, "[2 3]"},
		{"block.height = 2", all, "[2]"},
		{"block.height = 7", all, "[]"},
		{"reward.to = 'alice' AND reward.amount = 3", all, "[2]"},
		{"reward.to = 'alice' AND reward.amount = 4", all, "[]"},
		{"reward.amount >= 4", all, "[2]"},
		{"reward.amount >= 3 AND block.height < 2", all, "[]"},
		{"begin.proposer EXISTS", all, "[1]"},
		{"app.creator = 'alice'", all, "[]"},
	}
	for _, tc := range cases {
		hs, total := blockHeights(t, x, tc.q, tc.pg)
		if fmt.Sprint(hs) != tc.want || total != len(hs) {
			t.Errorf("%s: got %v (total %d), want %s", tc.q, hs, total, tc.want)
		}
	}
	if ok, _ := x.HasBlock(3); !ok {
		t.Error("HasBlock(3) = false")
	}
	if ok, _ := x.HasBlock(4); ok {
		t.Error("HasBlock(4) = true")
	}
}

func TestPageValidation(t *testing.T) {
	x := fixture(t)
	q := query.MustCompile("tx.height > 0")
	for _, pg := range []Page{{Number: 0, Size: 1}, {Number: 1, Size: 0}} {
		if _, _, err := x.SearchTxs(context.Background(), q, pg); err == nil {
			t.Errorf("page %+v accepted", pg)
		}
	}
	got, total, err := x.SearchTxs(context.Background(), q, Page{Number: 9, Size: 3})
	if err != nil || len(got) != 0 || total != 4 {
		t.Errorf("page past the end: %v, total %d, %v", txIDs(got), total, err)
	}
}

func TestSearchStopsWhenCancelled(t *testing.T) {
	x := openTemp(t)
	var txs []testTx
	for i := 0; i < 3000; i++ {
		txs = append(txs, testTx{tx: fmt.Sprint(i), events: []abci.Event{event("e", attr("k", "v"))}})
	}
	indexBlock(t, x, 1, nil, txs...)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := x.SearchTxs(ctx, query.MustCompile("e.k = 'v'"), Page{Number: 1, Size: 10})
	if err == nil {
		t.Fatal("a cancelled search ran to the end")
	}
}

func toTxs(bs [][]byte) types.Txs {
	txs := make(types.Txs, len(bs))
	for i, b := range bs {
		txs[i] = b
	}
	return txs
}
