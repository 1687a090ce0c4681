// Package abci connects the node to its application over ABCI 2.0.
//
// Connect opens CometBFT's four connections (consensus, mempool, query and
// snapshot) either to an application listening on a socket
// (tcp://host:port or unix:///path) or to a built-in application running in
// the same process (kvstore, persistent_kvstore, noop). In-process apps use
// CometBFT v0.38's local client; sockets use this package's own client of
// ABCI's socket protocol, which batches requests that arrive together into
// one write and flushes as soon as its queue runs dry (CometBFT's socket
// client re-arms its flush timer every 20ns while busy, spinning a CPU).
// Around the clients this package adds what the node needs:
//
//   - typed calls that check what CometBFT checks on the application's
//     answers (one transaction result per transaction, a known proposal
//     verdict, a prepared proposal that fits the block);
//   - failure detection: a connection that drops, an application that
//     answers with an exception or returns an error makes Conns fail once,
//     closes the Failed channel and refuses every later call, so the node
//     halts with a clear message instead of committing without its app;
//   - a CheckTx that never loses a caller: its completion callback runs
//     exactly once, with the response or with the error that ended the
//     connection.
package abci
