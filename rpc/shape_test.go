package rpc

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bftnode/bftnode/rpc/rpctest"
)

// reference reads a capture of a real CometBFT v0.38.26 node's answers.
func reference(t *testing.T, name string) []byte {
	t.Helper()
	b, err := rpctest.Reference(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sameShape(t *testing.T, name string, want, got []byte) {
	t.Helper()
	rpctest.SameShape(t, name, want, got)
}

// TestReferenceShapes calls each captured route the way it was captured and
// compares the answer's shape with CometBFT's.
func TestReferenceShapes(t *testing.T) {
	tn := newTestNode(t, nil)
	commitHash := fmt.Sprintf("%X", tn.blocks[txBlock-1].Txs[2].Hash())
	gets := []struct{ file, path string }{
		{"abci_info.json", "/abci_info"},
		{"abci_query.json", `/abci_query?path=""&data="name"`},
		{"abci_query_hex.json", "/abci_query?data=0x6e616d65"},
		{"block.json", fmt.Sprintf("/block?height=%d", txBlock)},
		{"block_empty.json", "/block?height=3"},
		{"block_results.json", fmt.Sprintf("/block_results?height=%d", txBlock)},
		{"blockchain.json", "/blockchain?minHeight=1&maxHeight=2"},
		{"commit.json", "/commit?height=3"},
		{"consensus_params.json", "/consensus_params"},
		{"genesis.json", "/genesis"},
		{"header.json", "/header?height=2"},
		{"net_info.json", "/net_info"},
		{"num_unconfirmed_txs.json", "/num_unconfirmed_txs"},
		{"unconfirmed_txs.json", "/unconfirmed_txs"},
		{"validators.json", "/validators"},
		{"tx.json", "/tx?hash=0x" + commitHash},
		{"tx_prove.json", "/tx?hash=0x" + commitHash + "&prove=true"},
		{"tx_search.json", fmt.Sprintf(`/tx_search?query="tx.height=%d"`, txBlock)},
		{"check_tx.json", `/check_tx?tx="check=1"`},
		{"broadcast_tx_async.json", `/broadcast_tx_async?tx="async=2"`},
		{"broadcast_tx_sync.json", `/broadcast_tx_sync?tx="name=2"`},
		{"broadcast_tx_sync_bad.json", `/broadcast_tx_sync?tx="bad=1"`},
		{"broadcast_tx_sync_dup.json", `/broadcast_tx_sync?tx="name=2"`},
		{"err_height.json", "/block?height=99999"},
	}
	for _, g := range gets {
		status, body := tn.get(t, g.path)
		if status != 200 && !strings.HasPrefix(g.file, "err_") && g.file != "broadcast_tx_sync_dup.json" {
			t.Errorf("%s: status %d: %s", g.path, status, body)
		}
		sameShape(t, g.file, reference(t, g.file), body)
	}
	posts := []struct{ file, body string }{
		{"post_abci_query.json", `{"jsonrpc":"2.0","id":"x","method":"abci_query","params":{"path":"","data":"6e616d65"}}`},
		{"post_block_positional.json", `{"jsonrpc":"2.0","id":3,"method":"block","params":["2"]}`},
		{"post_broadcast_tx_sync.json", `{"jsonrpc":"2.0","id":7,"method":"broadcast_tx_sync","params":{"tx":"cG9zdD0y"}}`},
		{"batch.json", `[{"jsonrpc":"2.0","id":1,"method":"health"},{"jsonrpc":"2.0","id":2,"method":"num_unconfirmed_txs"}]`},
	}
	for _, p := range posts {
		status, body := tn.post(t, p.body)
		if status != 200 {
			t.Errorf("%s: status %d: %s", p.body, status, body)
		}
		sameShape(t, p.file, reference(t, p.file), body)
	}
}
