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
//
// # Where inputs wait
//
// An input, or a request that will become one, waits in one of five places,
// each for its own reason:
//
//   - e.events: the channel through which other goroutines (peer readers
//     after verifying a signature, timers, block sync) reach the driver. It
//     is bounded, so that a flood of peer messages costs memory only up to
//     its size; a peer message that finds it full is dropped (peers
//     retransmit), while timers and a peer's disconnection wait for room, since
//     losing one could stall the core.
//   - e.queue: the inputs the driver will step next, in order. Handling an
//     event or carrying out an action often produces further inputs (an
//     executed block answers with Executed, a signed message comes back as
//     Receive); queueing them rather than stepping them inside the action
//     keeps every step whole and logged before the next begins. drain
//     empties it after every event.
//   - e.waiting: a decision whose block the node does not have yet. The
//     core decided by votes alone; the block is fetched from peers, and
//     the decision is carried out when it arrives (resumeDecision).
//   - e.verdicts.waiting: requests for a verdict on a proposed block that
//     cannot be answered yet, because the block is still being fetched or
//     its height's parent is not executed yet; verdictsReady answers them
//     as the chain and the block cache catch up.
//   - e.outstanding: actions the core produced while the log was replayed
//     after a restart. The log may already hold their answers; each logged
//     input removes the actions it answers (resolve), and what is left when
//     the log ends is carried out then, so that nothing is asked, signed or
//     executed twice and nothing unanswered is forgotten.
package engine
