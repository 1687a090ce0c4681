// Package engine drives one consensus core (package tendermint or pbft)
// inside a running node.
//
// One goroutine, the driver, owns the core. It takes inputs one at a time
// (verified peer messages, fired timers, the application's answers,
// fetched blocks), logs each to the write-ahead log, steps the core, and
// carries out the actions the core returns, in order: it makes the log
// durable before any of the node's own messages is signed, signs with the
// validator key behind a double-sign guard, sends, sets timers, asks the
// application to prepare, process and finalize blocks, and stores them.
//
// Signatures are checked on each peer's reader goroutine before a message
// becomes an input. Blocks a node missed are fetched from peers (block
// sync) and their commits verified before they reach the core.
//
// On start the engine runs CometBFT's ABCI handshake (InitChain on a new
// chain, or replay of stored blocks the application has not seen), rebuilds
// the core from its latest snapshot, replays the logged inputs through the
// same path, and only then rejoins the network.
package engine
