package rpctest

import (
	"encoding/base64"
	"fmt"
)

// Chain names what a chain under test holds, for the calls that need it.
type Chain struct {
	// TxHeight is a block with a committed transaction, TxHash that
	// transaction's hash in hex, EmptyHeight a block without transactions.
	TxHeight    int64
	TxHash      string
	EmptyHeight int64
	// MissingHeight is a height the chain has not reached.
	MissingHeight int64
	// Key is a key the application holds a value for.
	Key string
	// Unique makes the transactions the broadcast calls send new to the
	// chain ("" for a fresh chain each time).
	Unique string
	// BadTx is a transaction the application's CheckTx rejects.
	BadTx string
	// Commit includes broadcast_tx_commit, which needs a chain that makes
	// blocks.
	Commit bool
}

// Get is a URI GET of a route and the capture its answer compares with.
type Get struct{ File, Path string }

// Post is a JSON-RPC POST body and the capture its answer compares with.
type Post struct{ File, Body string }

// ReferenceGets are the captured routes called the way they were captured,
// with c's heights, hashes and keys: one table for every test that
// compares a server's answers with CometBFT's, so that a new capture is
// checked everywhere at once.
func ReferenceGets(c Chain) []Get {
	sync := fmt.Sprintf(`/broadcast_tx_sync?tx="sync%s=2"`, c.Unique)
	gets := []Get{
		{"abci_info.json", "/abci_info"},
		{"abci_query.json", fmt.Sprintf(`/abci_query?path=""&data="%s"`, c.Key)},
		{"abci_query_hex.json", fmt.Sprintf("/abci_query?data=0x%X", c.Key)},
		{"block.json", fmt.Sprintf("/block?height=%d", c.TxHeight)},
		{"block_empty.json", fmt.Sprintf("/block?height=%d", c.EmptyHeight)},
		{"block_results.json", fmt.Sprintf("/block_results?height=%d", c.TxHeight)},
		{"blockchain.json", "/blockchain?minHeight=1&maxHeight=2"},
		{"commit.json", "/commit?height=3"},
		{"consensus_params.json", "/consensus_params"},
		{"genesis.json", "/genesis"},
		{"header.json", "/header?height=2"},
		{"net_info.json", "/net_info"},
		{"num_unconfirmed_txs.json", "/num_unconfirmed_txs"},
		{"unconfirmed_txs.json", "/unconfirmed_txs"},
		{"validators.json", "/validators"},
		{"tx.json", "/tx?hash=0x" + c.TxHash},
		{"tx_prove.json", "/tx?hash=0x" + c.TxHash + "&prove=true"},
		{"tx_search.json", fmt.Sprintf(`/tx_search?query="tx.height=%d"`, c.TxHeight)},
		{"check_tx.json", `/check_tx?tx="check=1"`},
		{"broadcast_tx_async.json", fmt.Sprintf(`/broadcast_tx_async?tx="async%s=2"`, c.Unique)},
		{"broadcast_tx_sync.json", sync},
		{"broadcast_tx_sync_bad.json", fmt.Sprintf(`/broadcast_tx_sync?tx="%s"`, c.BadTx)},
		{"broadcast_tx_sync_dup.json", sync}, // the same tx again
	}
	if c.Commit {
		gets = append(gets, Get{"broadcast_tx_commit.json", fmt.Sprintf(`/broadcast_tx_commit?tx="commit%s=yes"`, c.Unique)})
	}
	return append(gets, Get{"err_height.json", fmt.Sprintf("/block?height=%d", c.MissingHeight)})
}

// FailsByDesign reports whether a capture is of a call CometBFT answers
// with an error (and a status other than 200 over URI GET).
func FailsByDesign(file string) bool {
	return file == "err_height.json" || file == "broadcast_tx_sync_dup.json"
}

// ReferencePosts are the captured JSON-RPC POSTs, with c's key.
func ReferencePosts(c Chain) []Post {
	tx := base64.StdEncoding.EncodeToString([]byte("post" + c.Unique + "=2"))
	return []Post{
		{"post_abci_query.json", fmt.Sprintf(`{"jsonrpc":"2.0","id":"x","method":"abci_query","params":{"path":"","data":"%X"}}`, c.Key)},
		{"post_block_positional.json", `{"jsonrpc":"2.0","id":3,"method":"block","params":["2"]}`},
		{"post_broadcast_tx_sync.json", fmt.Sprintf(`{"jsonrpc":"2.0","id":7,"method":"broadcast_tx_sync","params":{"tx":%q}}`, tx)},
		{"batch.json", `[{"jsonrpc":"2.0","id":1,"method":"health"},{"jsonrpc":"2.0","id":2,"method":"num_unconfirmed_txs"}]`},
	}
}
