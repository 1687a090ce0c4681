package mutate

import "strings"

// safetyFuncs are the functions whose conditions carry the protocols'
// safety arguments, by file: quorum arithmetic and tallies, Tendermint's
// rules on locks, POL rounds and decisions (Algorithm 1, lines 22-49) and
// the checks of what it receives, PBFT's prepare and commit quorums, its
// checkpoints and watermarks [§4.3], the view change's P set and the
// NEW-VIEW's O set [§4.4], and the validation of every message. A mutant
// in one of them must be killed by the simulator alone. "*" is the whole
// file.
var safetyFuncs = map[string][]string{
	"consensus/validators.go": {"(*ValidatorSet).IsQuorum", "(*ValidatorSet).IsOneThird", "(*ValidatorSet).Has", "(*ValidatorSet).check"},
	// Tally.QuorumValue only feeds the round-state summary of the RPC.
	"consensus/tally.go": {"NewTally", "(*Tally).Add", "(*Tally).Power", "(*Tally).AnyPower", "(*Tally).HasQuorum", "(*Tally).HasQuorumAny", "(*Tally).Voted", "(*Tally).Messages", "(*Tally).All"},

	"tendermint/rules.go": {"(*Core).startRound", "(*Core).onProposal", "(*Core).onPolka", "(*Core).onNilPolka", "(*Core).tryDecide", "(*Core).trySkipRound"},
	// receiveAhead only keeps messages of later heights and asks for
	// blocks (liveness).
	"tendermint/receive.go": {"(*Core).receive", "checkFields", "(*Core).roundTooFar", "(*Core).record", "(*Core).recordProposal", "(*Core).recordVote"},
	// quorumValue and values only feed the round-state summary of the RPC.
	"tendermint/votes.go": {"newVoteSet", "(*voteSet).add", "(*voteSet).addExtra", "(*voteSet).power", "(*voteSet).hasQuorum", "(*voteSet).hasQuorumAny", "(*voteSet).anyPower", "(*voteSet).voted", "(*voteSet).messages"},
	"tendermint/sync.go":  {"*"},
	// onExecuted checks the driver's own input and starts the commit wait.
	"tendermint/height.go": {"(*Core).decide"},

	// migrateAhead and fetchAhead only decide when to catch up (liveness).
	"pbft/checkpoint.go": {"(*checkpointSlot).add", "(*checkpointSlot).quorum", "(*checkpointSlot).recount", "(*Core).onCheckpoint", "(*Core).advanceStable", "(*Core).findStable", "(*Core).adoptStable", "(*Core).setStable"},
	"pbft/decide.go":     {"(*Core).checkCommittedConsistent", "(*Core).tryDecide", "(*Core).onSynced"},
	"pbft/newview.go":    {"*"},
	"pbft/normal.go":     {"(*Core).onPrePrepare", "(*Core).afterPrePrepare", "(*Core).onVerdict", "(*Core).tryPrepare", "(*Core).onVote", "(*Core).checkPrepared"},
	"pbft/validate.go":   {"*"},
	"pbft/viewchange.go": {"(*Core).startViewChange", "(*Core).pSet", "(*Core).onViewChange"},
	"pbft/core.go":       {"(*Core).onReceive", "(*Core).low", "(*Core).high", "(*Core).inWindow"},
	"pbft/log.go":        {"(*Core).lookup", "(*Core).retally"},
	"pbft/valsets.go":    {"(*valSetHistory).at"},
}

// IsSafety reports whether a site in function fn of file is
// safety-relevant.
func IsSafety(file, fn string) bool {
	for _, f := range safetyFuncs[file] {
		if f == "*" || f == fn || strings.HasSuffix(fn, "."+f) {
			return true
		}
	}
	return false
}

// Packages are the package directories bftmutate mutates by default.
var Packages = []string{"consensus", "tendermint", "pbft"}

// skippedFiles hold no condition a decision depends on: configuration
// checks, read-only views for the RPC, signature plumbing, digests and the
// snapshot encoding (whose round trips and damaged inputs have their own
// tests). They are not mutated.
var skippedFiles = map[string]bool{
	"consensus/message.go": true, "consensus/action.go": true, "consensus/input.go": true,
	"pbft/config.go": true, "pbft/state.go": true, "pbft/snapshot.go": true, "pbft/digest.go": true, "pbft/errors.go": true,
	"tendermint/config.go": true, "tendermint/roundstate.go": true, "tendermint/snapshot.go": true, "tendermint/errors.go": true,
}
