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
// "2f+1" is more than 2/3 of the voting power and "f+1" more than 1/3; each
// validator counts once per slot and a second, different message for one
// slot becomes Evidence.
//
// Lifecycle. New builds an idle core at a height (the genesis height, or the
// height of a snapshot). Start begins that height: it emits SaveSnapshot and,
// after the commit delay, starts round 0 once transactions are available,
// the empty-block interval passed or another validator already started. A
// driver recovering from a crash builds the core from its latest snapshot,
// steps Start, then replays the inputs logged after the snapshot; Step is
// deterministic and repeated answers (ProposalReady, Verdict, Executed,
// Receive, TimeoutFired) are harmless, the first one wins.
package tendermint
