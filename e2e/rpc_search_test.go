package e2e

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"
)

// searchTxs is how many transactions testTxSearch sends with one shared
// attribute value, so that they span several pages of searchPerPage.
const (
	searchTxs     = 7
	searchPerPage = 3
)

// txPos orders transactions as the chain does.
type txPos struct {
	height int64
	index  uint32
}

func positions(txs []*coretypes.ResultTx) []txPos {
	out := make([]txPos, len(txs))
	for i, tx := range txs {
		out[i] = txPos{tx.Height, tx.Index}
	}
	return out
}

func comparePos(a, b txPos) int {
	if a.height != b.height {
		return int(a.height - b.height)
	}
	return int(a.index) - int(b.index)
}

// testTxSearch sends transactions whose kvstore events share a value and
// searches them by that app event attribute, by height and by hash, in
// both orders and page by page, on every node.
func testTxSearch(t *testing.T, n *rpcNet) {
	shared := "pv-" + n.protocol
	var sent []types.Tx
	for j := 0; j < searchTxs; j++ {
		tx := kvTx(fmt.Sprintf("page-%s-%d", n.protocol, j), shared)
		res, err := n.clients[j%len(n.clients)].BroadcastTxSync(n.ctx, tx)
		if err != nil || res.Code != abci.CodeTypeOK {
			t.Fatalf("broadcast_tx_sync %q: %+v %v", tx, res, err)
		}
		sent = append(sent, tx)
	}
	q := fmt.Sprintf("app.key='%s'", shared)
	for i := range n.clients {
		for _, tx := range sent {
			n.waitTx(t, i, tx)
		}
		checkTxSearchPages(t, n, i, q, sent)
	}
	cl := n.clients[0]
	first, err := cl.Tx(n.ctx, sent[0].Hash(), false)
	if err != nil {
		t.Fatal(err)
	}
	// The transactions went to different nodes, so the first sent need not
	// be the first committed: the height conditions below split at the
	// lowest height any of them landed at.
	heights := make([]int64, len(sent))
	for j, tx := range sent {
		res, err := cl.Tx(n.ctx, tx.Hash(), false)
		if err != nil {
			t.Fatal(err)
		}
		heights[j] = res.Height
	}
	lowest := slices.Min(heights)
	atLowest := 0
	for _, h := range heights {
		if h == lowest {
			atLowest++
		}
	}
	// tx.height finds every transaction of the block, in block order.
	byHeight, err := cl.TxSearch(n.ctx, fmt.Sprintf("tx.height=%d", first.Height), true, nil, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := cl.Block(n.ctx, &first.Height)
	if err != nil {
		t.Fatal(err)
	}
	if byHeight.TotalCount != len(b.Block.Txs) || len(byHeight.Txs) != len(b.Block.Txs) {
		t.Fatalf("tx.height=%d: %d found (total %d), the block has %d", first.Height, len(byHeight.Txs), byHeight.TotalCount, len(b.Block.Txs))
	}
	for j, res := range byHeight.Txs {
		if !bytes.Equal(res.Tx, b.Block.Txs[j]) || res.Index != uint32(j) {
			t.Errorf("tx.height=%d result %d is %q at %d, the block has %q", first.Height, j, res.Tx, res.Index, b.Block.Txs[j])
		}
		if err := res.Proof.Validate(b.Block.DataHash); err != nil {
			t.Errorf("tx_search with prove: proof %d does not verify: %v", j, err)
		}
	}
	// Conditions on attributes hold within one event, as in CometBFT
	// v0.38: the first event names the key with creator "Cosmoshi
	// Netowoko", the second the value with creator "Cosmoshi".
	key0 := fmt.Sprintf("page-%s-0", n.protocol)
	for _, c := range []struct {
		query string
		want  int
	}{
		{fmt.Sprintf("tx.hash='%X'", sent[0].Hash()), 1},
		{fmt.Sprintf("app.creator='Cosmoshi Netowoko' AND app.key='%s'", key0), 1},
		{fmt.Sprintf("app.creator='Cosmoshi' AND app.key='%s'", key0), 0},
		{fmt.Sprintf("%s AND tx.height>=%d", q, lowest), searchTxs},
		{fmt.Sprintf("%s AND tx.height<%d", q, lowest), 0},
		{fmt.Sprintf("%s AND tx.height<=%d", q, lowest), atLowest},
		{"app.key EXISTS AND app.key='no-such-value'", 0},
	} {
		res, err := cl.TxSearch(n.ctx, c.query, false, nil, nil, "asc")
		if err != nil {
			t.Errorf("tx_search %q: %v", c.query, err)
			continue
		}
		if res.TotalCount != c.want || len(res.Txs) != c.want {
			t.Errorf("tx_search %q: %d found (total %d), want %d", c.query, len(res.Txs), res.TotalCount, c.want)
		}
	}
	if _, err := cl.TxSearch(n.ctx, q, false, nil, nil, "sideways"); err == nil || !strings.Contains(err.Error(), "expected order_by") {
		t.Errorf("tx_search with a bad order_by: %v", err)
	}
}

// checkTxSearchPages pages through query on node i in both orders and
// checks that the pages hold exactly the sent transactions, in order.
func checkTxSearchPages(t *testing.T, n *rpcNet, i int, query string, sent []types.Tx) {
	t.Helper()
	cl := n.clients[i]
	pages := (len(sent) + searchPerPage - 1) / searchPerPage
	var asc, desc []*coretypes.ResultTx
	for page := 1; page <= pages; page++ {
		for _, order := range []string{"asc", "desc"} {
			perPage, pg := searchPerPage, page
			res, err := cl.TxSearch(n.ctx, query, false, &pg, &perPage, order)
			if err != nil {
				t.Fatalf("node %d tx_search %q page %d %s: %v", i, query, page, order, err)
			}
			wantCount := min(searchPerPage, len(sent)-(page-1)*searchPerPage)
			if res.TotalCount != len(sent) || len(res.Txs) != wantCount {
				t.Fatalf("node %d tx_search %q page %d %s: %d txs, total %d; want %d of %d", i, query, page, order, len(res.Txs), res.TotalCount, wantCount, len(sent))
			}
			if order == "asc" {
				asc = append(asc, res.Txs...)
			} else {
				desc = append(desc, res.Txs...)
			}
		}
	}
	if !slices.IsSortedFunc(positions(asc), comparePos) {
		t.Errorf("node %d tx_search asc is out of order: %v", i, positions(asc))
	}
	slices.Reverse(desc)
	if !slices.Equal(positions(asc), positions(desc)) {
		t.Errorf("node %d tx_search desc is not asc reversed: %v vs %v", i, positions(asc), positions(desc))
	}
	found := map[string]bool{}
	for _, res := range asc {
		found[string(res.Tx)] = true
		if !bytes.Equal(res.Hash, types.Tx(res.Tx).Hash()) {
			t.Errorf("node %d tx_search: hash %X for %q", i, res.Hash, res.Tx)
		}
	}
	for _, tx := range sent {
		if !found[string(tx)] {
			t.Errorf("node %d tx_search %q does not find %q", i, query, tx)
		}
	}
	page, perPage := pages+1, searchPerPage
	_, err := cl.TxSearch(n.ctx, query, false, &page, &perPage, "")
	if want := fmt.Sprintf("page should be within [1, %d] range, given %d", pages, page); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("node %d tx_search beyond the last page: %v, want %q", i, err, want)
	}
}

// testBlockSearch searches blocks by height range in both orders, page by
// page. kvstore's events belong to transactions, not to FinalizeBlock, so
// a block search on them finds nothing, as on CometBFT.
func testBlockSearch(t *testing.T, n *rpcNet) {
	const lo, hi = 2, 8
	if err := n.waitHeight(0, hi); err != nil {
		t.Fatal(err)
	}
	q := fmt.Sprintf("block.height >= %d AND block.height <= %d", lo, hi)
	for i, cl := range n.clients {
		var heights []int64
		for _, order := range []string{"", "asc"} {
			var got []int64
			for page := 1; page <= 3; page++ {
				pg, perPage := page, 3
				res, err := cl.BlockSearch(n.ctx, q, &pg, &perPage, order)
				if err != nil {
					t.Fatalf("node %d block_search %q page %d: %v", i, q, page, err)
				}
				if res.TotalCount != hi-lo+1 {
					t.Errorf("node %d block_search %q: total %d", i, q, res.TotalCount)
				}
				for _, b := range res.Blocks {
					if !bytes.Equal(b.Block.Hash(), b.BlockID.Hash) {
						t.Errorf("node %d block_search: block %d hashes to %X, block_id %X", i, b.Block.Height, b.Block.Hash(), b.BlockID.Hash)
					}
					got = append(got, b.Block.Height)
				}
			}
			if order == "" {
				slices.Reverse(got) // newest first by default
			}
			if heights == nil {
				heights = got
			} else if !slices.Equal(got, heights) {
				t.Errorf("node %d block_search: desc reversed %v, asc %v", i, heights, got)
			}
		}
		want := []int64{2, 3, 4, 5, 6, 7, 8}
		if !slices.Equal(heights, want) {
			t.Errorf("node %d block_search %q: heights %v", i, q, heights)
		}
		res, err := cl.BlockSearch(n.ctx, fmt.Sprintf("app.key='pv-%s'", n.protocol), nil, nil, "")
		if err != nil || res.TotalCount != 0 || len(res.Blocks) != 0 {
			t.Errorf("node %d block_search on transaction events: %+v %v", i, res, err)
		}
	}
}
