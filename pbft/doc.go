// Package pbft is Castro and Liskov's Practical Byzantine Fault Tolerance
// ("Practical Byzantine Fault Tolerance", OSDI 1999; "Practical Byzantine
// Fault Tolerance and Proactive Recovery", TOCS 2002) as a
// consensus.Core: a pure, deterministic state machine stepped by inputs
// that answers with actions.
//
// One sequence number orders one block: sequence n is block height n, and
// the view v travels in the Round field of messages. PRE-PREPARE is a
// consensus.Proposal, PREPARE a prevote and COMMIT a precommit, so that the
// COMMITs of one view that decide a block form a CometBFT commit.
//
// Comments cite the OSDI paper's sections as [§4.2] (normal case), [§4.3]
// (garbage collection and checkpoints), [§4.4] (view changes) and [§4.5.2]
// (liveness). Quorums are weighted by voting power: the papers' "2f+1" is
// more than 2/3 of the power and "f+1" more than 1/3.
//
// Two rules differ from the papers because a sequence number carries a
// block that chains on its predecessor: a backup prepares sequence n only
// once it has executed n-1 (which also keeps the NEW-VIEW's O set free of
// gaps), and decisions are handed to the driver strictly in order, one at a
// time, each after the previous block was executed.
//
// A replica decides a block on COMMITs of more than 2/3 of the power for it
// in one view even if it did not collect the PREPAREs itself: such a commit
// certificate proves that more than 1/3 of the power, so at least one
// correct replica, prepared the block, which is committed(m, v, n) of
// [§4.5.1] and the same proof a block fetched from peers carries. It lets a
// replica that missed messages, a replica still changing view, or a node
// that is not a validator follow the chain.
//
// The driver persists the SaveSnapshot actions and, after a crash, rebuilds
// the replica with New from the latest one, resumes it with Start (only the
// first Start of an instance acts) and replays the inputs it logged after
// it. A snapshot holds the replica's whole state, including every
// message it signed, so replay can never make it sign something different.
package pbft
