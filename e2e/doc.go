// Package e2e starts real bftnode networks for tests: the bftnode binary
// built from this module, one process per node, each validator backed by its
// own application process over a socket, all on loopback. Tests drive them
// through CometBFT's own RPC client, kill, pause and restart processes, and
// check what the chain holds afterwards.
//
// TestRPCCompatibility is the JSON-RPC's proof against running networks of
// both protocols: every method of CometBFT's Go client, checked against the
// chain; the shapes of raw URI, JSON-RPC and batch answers against
// captures of a real CometBFT node (rpc/rpctest); errors for bad input;
// mempool, evidence and websocket routes; broadcast_tx_commit under many
// concurrent waiters. Set E2E_PROTOCOL to run one protocol only.
package e2e
