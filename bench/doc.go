// Package bench measures a network of nodes that serve CometBFT v0.38's
// JSON-RPC, bftnode's or CometBFT's alike, from the outside.
//
// Run sends unique kvstore transactions (key=value, padded to a chosen
// size) with broadcast_tx_sync from N concurrent senders, round robin over
// the given endpoints, at an optional rate for a fixed duration. A follower
// watches committed blocks (the websocket NewBlock subscription, with
// polling of block?height=h to fill any gap) and notes when each
// transaction was first seen in a block. After the send window it keeps
// following for a grace period, then reports committed transactions per
// second, send-to-commit latency percentiles, transactions the node refused
// (CheckTx code or RPC error) and transactions it acknowledged but never
// committed (lost).
//
// A Result is plain data, written as JSON; WriteChart draws the results of
// several systems for one workload as an SVG (latency over time and a
// latency histogram), and the report functions lay results side by side
// with their ratios.
package bench
