// Package tendermint is the Tendermint consensus core: Algorithm 1 of "The
// latest gossip on BFT consensus" (Buchman, Kwon, Milosevic, arXiv
// 1807.04938) as a consensus.Core, a pure deterministic state machine.
//
// Comments cite the paper's line numbers. The core reaches the world only
// through consensus inputs and actions:
//
//   - getValue() is RequestProposal, answered by ProposalReady;
//   - valid(v) is RequestVerdict, answered by Verdict; the rules that need
//     valid(v) wait for the answer (line 49 does not: a value precommitted
//     by more than 2/3 of the power was checked by an honest validator);
//   - broadcast is Broadcast; the driver signs the message and hands it back
//     as Receive, and only then is it counted;
//   - "schedule OnTimeoutX" is SetTimeout, answered by TimeoutFired;
//   - a decision is Decide, after which the core waits for Executed, whose
//     validator set runs the next height.
//
// Counting. "2f+1" is more than 2/3 of the voting power and "f+1" more than
// 1/3. A rule about any value (lines 34, 47, 55) counts each validator once.
// A rule about one value (lines 28, 36, 44, 49) counts, as the paper does,
// each validator that signed a message for that value, even after it signed
// another: a validator's second message for a slot is reported as Evidence
// once, and is kept (a bounded few) because liveness needs it. An
// equivocator that showed some nodes nil and others v would otherwise keep
// the first ones from ever seeing the polka behind the others' lock. For
// the same reason a proposer that proposes with POL round vr relays the
// prevotes of vr it holds.
//
// Gossip. The paper assumes every message a correct validator received
// reaches every correct validator eventually. The core retransmits its own
// messages of the current round every RetransmitInterval, and answers a
// validator whose message shows it still in an earlier round of the height
// with its own messages of that round (once per retransmission tick).
//
// Heights. New builds an idle core at a height (the genesis height, or the
// height of a snapshot). Start begins that height: it emits SaveSnapshot
// and, after TimeoutCommit if the height follows an executed block, starts
// round 0 once transactions are available, the empty-block interval passed,
// the height is the first, the application hash changed, or another
// validator already started. Messages of the next height wait in a bounded
// buffer; a message of a later height makes the core ask for blocks
// (FetchBlocks), which come back as Synced and decide like line 49.
//
// Recovery. A driver recovering from a crash builds the core from its latest
// snapshot, steps Start, then replays the inputs logged after the snapshot.
// Step is deterministic and repeated answers (ProposalReady, Verdict,
// Executed, Receive, TimeoutFired) are harmless: the first one wins. The
// retransmit timeout's Round is a sequence number, so a repeated firing
// cannot start a second chain of them.
package tendermint
