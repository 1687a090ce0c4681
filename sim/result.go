package sim

import (
	"fmt"
	"io"
	"time"
)

// Options select one simulation run. A run is a pure function of its
// options: the same options give the same run, bit for bit.
type Options struct {
	Protocol Protocol
	// Scenario is a family name (see Families) or StressScenario.
	Scenario string
	Seed     uint64
	// Validators is n; zero picks 4, 7 or 10 from the seed.
	Validators int
	// Powers is "equal", "random" (1..100) or "heavy" (one validator holds
	// about 40%); empty picks one from the seed.
	Powers string
	// Byzantine, when positive, makes exactly that many validators
	// Byzantine whatever their power (positive controls use it to go
	// beyond f). Zero lets the family choose: as many as keep the
	// Byzantine power below 1/3, or none for the fault-only families.
	Byzantine int
	// Heights is how many heights every honest node must decide (and at
	// least two after the network heals). Zero means 12.
	Heights int
	// ViewChanges is the number of forced view changes of StressScenario.
	// Zero means 1,000.
	ViewChanges int
	// MaxEvents bounds the run; running out is reported as a liveness
	// violation. Zero means 5,000,000.
	MaxEvents int
	// Trace, if set, receives a readable line per event.
	Trace io.Writer
	// Links, when set, replaces the network's delays with a latency
	// model of regions and measures the run's cost (see sim/scale.go).
	Links *Links
}

// Violation is one broken property.
type Violation struct {
	// Kind is agreement, validity, integrity, double-sign, sign-floor
	// (asked to sign below its own SaveSnapshot.SignFloor), evidence,
	// refused (an honest node refused an honest validator's VIEW-CHANGE
	// or CHECKPOINT as invalid), commit, stable (a stable checkpoint nobody
	// honest signed), liveness, halt, panic, restart or bad-action.
	Kind string
	At   time.Duration
	// Node is the simulated node (twins share a validator) or -1.
	Node      int
	Validator int32
	Height    int64
	Detail    string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s at %v node=%d validator=%d height=%d: %s", v.Kind, v.At, v.Node, v.Validator, v.Height, v.Detail)
}

// Result is what a run found.
type Result struct {
	Protocol string
	Scenario string
	Seed     uint64
	// Powers of the validators, in validator-set order.
	Powers []int64
	// Byzantine validators and what each does.
	Byzantine  []int32
	Behaviours []string
	// Decided counts the heights decided by honest nodes, summed over the
	// honest nodes.
	Decided    int
	Violations []Violation
	// HealedAt is when the faults stopped; Recovery how long after that
	// until every honest node decided a new height.
	HealedAt time.Duration
	Recovery time.Duration
	// MaxRound is the highest round (Tendermint) or view (PBFT) an honest
	// node reached; RoundsAfterHeal the highest reached after healing.
	MaxRound        int32
	RoundsAfterHeal int32
	// ViewChanges counts the view changes StressScenario forced.
	ViewChanges int
	// Counters of the run.
	End           time.Duration
	Events        int
	Messages      int
	Dropped       int
	BadSignatures int
	Rejected      int
	Crashes       int
	// Switches counts the hand-overs of a switching protocol, replays of
	// the log after a restart included.
	Switches int
	// Evidence counts the evidence honest nodes reported.
	Evidence int
	// Digest summarises the event sequence; equal options give equal
	// digests.
	Digest uint64
	// Scale holds the bytes and execution times of runs with
	// Options.Links, nil otherwise.
	Scale *ScaleStats

	opts Options
}

// Failed reports whether the run found a violation.
func (r *Result) Failed() bool { return len(r.Violations) > 0 }

// ReplayCommand is the command line that replays this run with a trace.
func (r *Result) ReplayCommand() string {
	cmd := fmt.Sprintf("go run ./cmd/bftsim -protocol %s -scenario %s -seed %d", r.Protocol, r.Scenario, r.Seed)
	o := r.opts
	if o.Validators != 0 {
		cmd += fmt.Sprintf(" -validators %d", o.Validators)
	}
	if o.Powers != "" {
		cmd += " -powers " + o.Powers
	}
	if o.Byzantine != 0 {
		cmd += fmt.Sprintf(" -byzantine %d", o.Byzantine)
	}
	if o.Heights != 0 {
		cmd += fmt.Sprintf(" -heights %d", o.Heights)
	}
	if o.ViewChanges != 0 {
		cmd += fmt.Sprintf(" -viewchanges %d", o.ViewChanges)
	}
	return cmd + " -v"
}
