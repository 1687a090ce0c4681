// Package rpc serves CometBFT v0.38's JSON-RPC for a bftnode node: every
// route of CometBFT's rpc/core with its parameter names, defaults, error
// texts and encodings, over URI GET, JSON-RPC POST (with batches) and
// websocket, so that CometBFT's Go client and CosmJS work unchanged.
//
// The transport is CometBFT's rpc/jsonrpc/server and the answers are
// CometBFT's rpc/core/types structs encoded with libs/json. The routes read
// the node through Env: the block and state stores, the indexes, the event
// bus, and small interfaces (Mempool, App, P2P, Consensus, EvidencePool)
// that the node implements. The package never touches protocol state.
//
// Start serves the routes on [rpc] laddr. Event subscriptions go through
// types.EventBus with buffered subscriptions, so a slow client never holds
// up delivery to the others: a websocket client that stops reading loses
// its subscriptions and its connection. broadcast_tx_commit waits on the
// event bus too, counted against max_subscription_clients and
// max_subscriptions_per_client.
package rpc
