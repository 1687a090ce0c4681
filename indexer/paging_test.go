package indexer

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/pubsub/query"
)

// bulkFixture indexes blocks×perBlock transactions; each has bulk.k = 'v'
// and bulk.n = its number, every third one also bulk.tag = 'x', and each
// result carries dataLen bytes of data.
func bulkFixture(t testing.TB, blocks, perBlock, dataLen int) *Indexer {
	x := openTemp(t)
	n := 0
	for h := 1; h <= blocks; h++ {
		var txs []testTx
		for i := 0; i < perBlock; i++ {
			attrs := []abci.EventAttribute{attr("k", "v"), attr("n", fmt.Sprint(n))}
			if n%3 == 0 {
				attrs = append(attrs, attr("tag", "x"))
			}
			txs = append(txs, testTx{tx: fmt.Sprintf("tx-%d", n), events: []abci.Event{event("bulk", attrs...)}})
			n++
		}
		resp := &abci.ResponseFinalizeBlock{}
		var btxs [][]byte
		for _, tx := range txs {
			btxs = append(btxs, []byte(tx.tx))
			resp.TxResults = append(resp.TxResults, &abci.ExecTxResult{Data: make([]byte, dataLen), Events: tx.events})
		}
		if err := x.Index(int64(h), toTxs(btxs), resp); err != nil {
			t.Fatal(err)
		}
	}
	return x
}

// TestPagingMatchesOrderedResults pages through queries that take each
// search path and checks every page against the full ordered answer.
func TestPagingMatchesOrderedResults(t *testing.T) {
	const blocks, perBlock = 5, 40
	x := bulkFixture(t, blocks, perBlock, 0)
	type txRef struct{ h, i int }
	var all []txRef
	for h := 1; h <= blocks; h++ {
		for i := 0; i < perBlock; i++ {
			all = append(all, txRef{h, i})
		}
	}
	number := func(r txRef) int { return (r.h-1)*perBlock + r.i }
	queries := map[string]func(txRef) bool{
		"bulk.k = 'v'":                            func(txRef) bool { return true },
		"bulk.k EXISTS":                           func(txRef) bool { return true },
		"bulk.tag = 'x'":                          func(r txRef) bool { return number(r)%3 == 0 },
		"bulk.k = 'v' AND bulk.tag = 'x'":         func(r txRef) bool { return number(r)%3 == 0 },
		"bulk.n < 57 AND tx.height >= 2":          func(r txRef) bool { return number(r) < 57 && r.h >= 2 },
		"tx.height >= 2 AND tx.height <= 4":       func(r txRef) bool { return r.h >= 2 && r.h <= 4 },
		"bulk.n >= 100 AND bulk.tag EXISTS":       func(r txRef) bool { return number(r) >= 100 && number(r)%3 == 0 },
		"bulk.k = 'v' AND tx.height CONTAINS '3'": func(r txRef) bool { return r.h == 3 },
	}
	for qs, keep := range queries {
		var want []string
		for _, r := range all {
			if keep(r) {
				want = append(want, fmt.Sprintf("%d/%d", r.h, r.i))
			}
		}
		for _, desc := range []bool{false, true} {
			exp := slices.Clone(want)
			if desc {
				slices.Reverse(exp)
			}
			var got []string
			for page := 1; ; page++ {
				rs, total, err := x.SearchTxs(context.Background(), query.MustCompile(qs), Page{Number: page, Size: 7, Descending: desc})
				if err != nil {
					t.Fatal(err)
				}
				if total != len(exp) {
					t.Fatalf("%s desc=%v: total %d, want %d", qs, desc, total, len(exp))
				}
				if len(rs) == 0 {
					break
				}
				for _, r := range rs {
					got = append(got, fmt.Sprintf("%d/%d", r.Height, r.Index))
				}
			}
			if !slices.Equal(got, exp) {
				t.Errorf("%s desc=%v:\n got %v\nwant %v", qs, desc, got, exp)
			}
		}
	}
}

// TestLargeResultSetIsNotLoaded searches a result set far larger than a
// page: the bytes allocated must stay far below what decoding every match
// would take, because counting reads keys only and only the page's
// transactions are decoded.
func TestLargeResultSetIsNotLoaded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 10,000-transaction index")
	}
	const blocks, perBlock, dataLen = 20, 500, 1024
	x := bulkFixture(t, blocks, perBlock, dataLen)
	q := query.MustCompile("bulk.k = 'v'")
	allMatches := blocks * perBlock * dataLen // what decoding every result would allocate, at least
	for _, desc := range []bool{false, true} {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		rs, total, err := x.SearchTxs(context.Background(), q, Page{Number: 3, Size: 10, Descending: desc})
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		if total != blocks*perBlock || len(rs) != 10 {
			t.Fatalf("total %d, page of %d", total, len(rs))
		}
		allocated := int(after.TotalAlloc - before.TotalAlloc)
		t.Logf("desc=%v: %d bytes allocated to count %d matches and return 10 (decoding all: >= %d)", desc, allocated, total, allMatches)
		if allocated > allMatches/10 {
			t.Errorf("allocated %d bytes, more than a tenth of decoding all %d matches", allocated, total)
		}
	}
}
