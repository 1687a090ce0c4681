package indexer

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/pubsub/query"
	"github.com/cometbft/cometbft/types"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// FuzzSearchTxs checks, for any query that parses, that the search paths
// (hash, value index, key index, height range, key-only counting) answer
// exactly what checking every stored transaction against the query does.
func FuzzSearchTxs(f *testing.F) {
	for _, s := range []string{
		"app.creator = 'alice'", "app.amount > 8 AND tx.height < 3", "tx.height = 2",
		"app.creator CONTAINS 'o' AND app.key EXISTS", "tx.hash = '" + hashOf("b") + "'",
		"time.at >= TIME 2024-01-02T03:04:05Z", "app.key = 'a/b'", "tx.height > 1.5",
	} {
		f.Add(s)
	}
	x := fixture(f)
	f.Fuzz(func(t *testing.T, qs string) {
		q, err := query.New(qs)
		if err != nil {
			return
		}
		p, err := newPlan(q, types.TxHeightKey, types.TxHashKey)
		if err != nil {
			return
		}
		want := bruteForce(t, x, p)
		for _, desc := range []bool{false, true} {
			got, total, err := x.SearchTxs(context.Background(), q, Page{Number: 1, Size: 100, Descending: desc})
			if err != nil {
				t.Fatalf("%q: %v", qs, err)
			}
			if total != len(want) || len(got) != len(want) {
				t.Fatalf("%q desc=%v: %d results (total %d), brute force %d", qs, desc, len(got), total, len(want))
			}
		}
	})
}

func bruteForce(t *testing.T, x *Indexer, p *plan) []*abci.TxResult {
	snap, err := x.db.GetSnapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Release()
	it := snap.NewIterator(util.BytesPrefix([]byte{prefixTx}), nil)
	defer it.Release()
	var out []*abci.TxResult
	for it.Next() {
		rec := new(abci.TxResult)
		if err := rec.Unmarshal(it.Value()); err != nil {
			t.Fatal(err)
		}
		if p.heightMatches(rec.Height) && p.hashMatches(types.Tx(rec.Tx).Hash()) && p.eventsMatch(rec.Result.Events) {
			out = append(out, rec)
		}
	}
	return out
}
