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
//
// A sixth place exists only around a switch of protocol: e.held, below.
//
// # Switching protocol at a height
//
// Config.Schedule may hand the chain from one protocol to the other at a
// height H ([consensus] switch_height; switch.go). The cores know nothing
// of it: the second core is an ordinary core whose chain begins at H.
//
// Which store owns what. The block store and the state store hold the
// chain (blocks, commits, validator sets, app hashes) and do not care which
// protocol decided a block: both protocols' commits are CometBFT commits,
// verified by block sync and light clients with the same VerifyCommit. The
// write-ahead log holds the protocol: which core is running, and its
// snapshots. The mempool holds transactions and is untouched by a switch.
//
// The hand-over. When the first core is stepped with Executed for H-1
// (block H-1 and its commit are stored, the application committed), the
// driver drops that step's actions, builds the second core at H with the
// validator set Executed names (the one the state store holds for H),
// starts it, and queues the inputs held for it. Until then the first core
// never signs, proposes, asks for a verdict or decides at H or above
// (beyondFirstCore), inputs for H and above wait in e.held (screen), and
// after it the second core never sees the first one's messages, blocks or
// timers (timers carry the generation of the core that set them). So one
// slot is never signed by both protocols; the guard's floor is raised to H.
//
// Write-ahead log records across H. The hand-over is a function of the
// logged inputs: a replay repeats it at the same Executed record, so it
// needs no record of its own for recovery. Two records name protocols: a
// snapshot names the protocol whose core wrote it (so a restart after H
// rebuilds the second core from its own snapshot, and a log rewritten at a
// snapshot keeps that knowledge), and a protocol record is written when a
// node first starts its chain and at the hand-over (so a log without a
// snapshot tells which protocol wrote it). Killed at any point around H, a
// node replays into the right core: before the Executed record it resumes
// the first core, which hands over when the record (or, if the log lost
// it, block H-1 from the store) arrives; after it, the replay repeats the
// hand-over; after the second core's first snapshot, it starts there. A
// home written by a protocol the schedule does not name is refused with
// that protocol's name and the way out (rebuild.go), not as damage.
//
// A second switch. Schedule is one pair (first protocol, second protocol
// from H). Switching again means a list of (height, protocol) entries:
// At picks the entry of a height; the hand-over becomes "the core's
// protocol differs from At(next height)" with the next entry's height in
// place of H; snapshot and protocol records already name their protocol,
// and a core built at an entry's height needs that height as its first
// (CoreFactory takes it). The peer handshake compares the whole list.
package engine
