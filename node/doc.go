// Package node assembles a bftnode node from its configuration: it opens
// the stores and the write-ahead log, connects to the application, runs the
// ABCI handshake, builds the mempool, the consensus engine with the chosen
// protocol's core, the peer-to-peer host and the RPC server, and runs them
// until the context ends or something fails.
package node
