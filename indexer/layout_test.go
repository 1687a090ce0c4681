package indexer

import (
	"context"
	abci "github.com/cometbft/cometbft/abci/types"
	"testing"

	"github.com/cometbft/cometbft/libs/pubsub/query"
	"github.com/syndtr/goleveldb/leveldb"
)

func TestOpenDropsIndexesOfAnOlderLayout(t *testing.T) {
	dir := t.TempDir()
	// The first layout recorded no version: a last height alone marks it.
	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Put(lastHeightKey, blockID(7), nil); err != nil {
		t.Fatal(err)
	}
	if err := db.Put([]byte{prefixTxByKey, 0, 0, 0, 1, 'x'}, []byte("stale"), nil); err != nil {
		t.Fatal(err)
	}
	db.Close()
	x, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !x.Rebuilt || x.LastHeight() != 0 {
		t.Fatalf("rebuilt %v, last height %d; want the old indexes dropped", x.Rebuilt, x.LastHeight())
	}
	indexBlock(t, x, 1, nil, testTx{tx: "a"})
	x.Close()
	if x, err = Open(dir); err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if x.Rebuilt || x.LastHeight() != 1 {
		t.Fatalf("reopening this layout: rebuilt %v, last height %d", x.Rebuilt, x.LastHeight())
	}
}

func TestAnAttributeNamedTwiceInOneEventFindsBothValues(t *testing.T) {
	x := openTemp(t)
	indexBlock(t, x, 1, []abci.Event{event("blk", attr("k", "1"), attr("k", "2"))},
		testTx{tx: "a", events: []abci.Event{event("e", attr("k", "1"), attr("k", "2"))}},
		testTx{tx: "b", events: []abci.Event{event("e", attr("k", "2"))}})
	for q, want := range map[string]int{
		"e.k = '1'": 1, "e.k = '2'": 2, "e.k > 1": 2, "e.k < 2": 1, "e.k EXISTS": 2,
	} {
		_, total, err := x.SearchTxs(context.Background(), query.MustCompile(q), Page{Number: 1, Size: 10})
		if err != nil || total != want {
			t.Errorf("%s: %d found, want %d (%v)", q, total, want, err)
		}
	}
	for q, want := range map[string]int{"blk.k = '1'": 1, "blk.k < 2": 1, "blk.k = '3'": 0} {
		if _, total := blockHeights(t, x, q, Page{Number: 1, Size: 10}); total != want {
			t.Errorf("%s: %d blocks, want %d", q, total, want)
		}
	}
}
