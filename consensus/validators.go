package consensus

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sort"
)

// MaxTotalPower bounds the total voting power, as in CometBFT, so that
// priority and quorum arithmetic cannot overflow.
const MaxTotalPower = int64(math.MaxInt64) / 8

// Validator is one member of a validator set.
type Validator struct {
	Address          []byte
	PubKey           []byte
	Power            int64
	ProposerPriority int64
}

// ValidatorSet is the validators of one height, in CometBFT's order (power
// descending, then address ascending), with CometBFT's proposer priorities.
// Proposer is the index of the proposer of round 0.
type ValidatorSet struct {
	Validators []Validator
	Proposer   int32
	total      int64
}

// NewValidatorSet builds a genesis validator set exactly as CometBFT's
// types.NewValidatorSet does: sorted, priorities from zero, then one
// priority increment, so that proposers match a CometBFT chain's.
func NewValidatorSet(vals []Validator) (*ValidatorSet, error) {
	vs := &ValidatorSet{Validators: append([]Validator(nil), vals...)}
	for i := range vs.Validators {
		vs.Validators[i].ProposerPriority = 0
	}
	sort.SliceStable(vs.Validators, func(i, j int) bool {
		a, b := vs.Validators[i], vs.Validators[j]
		if a.Power == b.Power {
			return bytes.Compare(a.Address, b.Address) < 0
		}
		return a.Power > b.Power
	})
	if err := vs.check(); err != nil {
		return nil, err
	}
	vs.IncrementProposerPriority(1)
	return vs, nil
}

// ValidatorSetFromExisting takes validators in their given order with their
// given priorities (a set carried over from an earlier height).
func ValidatorSetFromExisting(vals []Validator, proposer int32) (*ValidatorSet, error) {
	vs := &ValidatorSet{Validators: append([]Validator(nil), vals...), Proposer: proposer}
	if err := vs.check(); err != nil {
		return nil, err
	}
	if proposer < 0 || int(proposer) >= len(vals) {
		return nil, fmt.Errorf("proposer index %d out of range [0,%d)", proposer, len(vals))
	}
	return vs, nil
}

func (vs *ValidatorSet) check() error {
	if len(vs.Validators) == 0 {
		return errors.New("validator set is empty")
	}
	seen := make(map[string]bool, len(vs.Validators))
	var total int64
	for i, v := range vs.Validators {
		if v.Power <= 0 {
			return fmt.Errorf("validator %d (%X) has power %d; it must be positive", i, v.Address, v.Power)
		}
		if seen[string(v.Address)] {
			return fmt.Errorf("validator address %X appears twice", v.Address)
		}
		seen[string(v.Address)] = true
		total += v.Power
		if total > MaxTotalPower {
			return fmt.Errorf("total voting power exceeds %d", MaxTotalPower)
		}
	}
	vs.total = total
	return nil
}

// Size is the number of validators.
func (vs *ValidatorSet) Size() int { return len(vs.Validators) }

// TotalPower is the sum of all voting power.
func (vs *ValidatorSet) TotalPower() int64 { return vs.total }

// Power is the voting power of validator i, or 0 if i is out of range.
func (vs *ValidatorSet) Power(i int32) int64 {
	if !vs.Has(i) {
		return 0
	}
	return vs.Validators[i].Power
}

// Has reports whether i is a validator index of this set.
func (vs *ValidatorSet) Has(i int32) bool { return i >= 0 && int(i) < len(vs.Validators) }

// IsQuorum reports whether power is more than 2/3 of the total: the "2f+1"
// of both papers, weighted by voting power.
func (vs *ValidatorSet) IsQuorum(power int64) bool { return power*3 > vs.total*2 }

// IsOneThird reports whether power is more than 1/3 of the total: the "f+1"
// of both papers, which always includes an honest validator.
func (vs *ValidatorSet) IsOneThird(power int64) bool { return power*3 > vs.total }

// Copy returns a deep copy of the priorities (addresses and keys are shared;
// they are never modified).
func (vs *ValidatorSet) Copy() *ValidatorSet {
	return &ValidatorSet{Validators: append([]Validator(nil), vs.Validators...), Proposer: vs.Proposer, total: vs.total}
}

// Next returns the set of the next height when no validator changed:
// CometBFT increments proposer priorities once per height.
func (vs *ValidatorSet) Next() *ValidatorSet {
	n := vs.Copy()
	n.IncrementProposerPriority(1)
	return n
}

// ProposerOf returns the index of the proposer of round: CometBFT's
// CopyIncrementProposerPriority(round).GetProposer().
func (vs *ValidatorSet) ProposerOf(round int32) int32 {
	if round <= 0 {
		return vs.Proposer
	}
	c := vs.Copy()
	c.IncrementProposerPriority(round)
	return c.Proposer
}

// IncrementProposerPriority runs CometBFT's proposer-priority algorithm times
// times: rescale priorities into a window of twice the total power, centre
// them on zero, then repeatedly add each validator's power and charge the
// total power to the one with the highest priority, who proposes.
func (vs *ValidatorSet) IncrementProposerPriority(times int32) {
	vs.rescale(2 * vs.total)
	vs.shiftByAverage()
	for i := int32(0); i < times; i++ {
		vs.Proposer = vs.incrementOnce()
	}
}

func (vs *ValidatorSet) rescale(diffMax int64) {
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, v := range vs.Validators {
		lo = min(lo, v.ProposerPriority)
		hi = max(hi, v.ProposerPriority)
	}
	diff := hi - lo
	if diff < 0 {
		diff = -diff
	}
	if diff <= diffMax {
		return
	}
	ratio := (diff + diffMax - 1) / diffMax
	for i := range vs.Validators {
		vs.Validators[i].ProposerPriority /= ratio
	}
}

func (vs *ValidatorSet) shiftByAverage() {
	sum := new(big.Int)
	for _, v := range vs.Validators {
		sum.Add(sum, big.NewInt(v.ProposerPriority))
	}
	// Euclidean division (Div, not Quo) as CometBFT's
	// computeAvgProposerPriority: a negative sum rounds down, and priorities
	// (so proposers) would drift from a CometBFT chain's otherwise.
	avg := sum.Div(sum, big.NewInt(int64(len(vs.Validators)))).Int64()
	for i := range vs.Validators {
		vs.Validators[i].ProposerPriority = subClip(vs.Validators[i].ProposerPriority, avg)
	}
}

func (vs *ValidatorSet) incrementOnce() int32 {
	best := int32(-1)
	for i := range vs.Validators {
		v := &vs.Validators[i]
		v.ProposerPriority = addClip(v.ProposerPriority, v.Power)
		if best < 0 || vs.higherPriority(int32(i), best) {
			best = int32(i)
		}
	}
	p := &vs.Validators[best]
	p.ProposerPriority = subClip(p.ProposerPriority, vs.total)
	return best
}

// higherPriority is CometBFT's CompareProposerPriority: higher priority
// wins, ties go to the smaller address.
func (vs *ValidatorSet) higherPriority(i, j int32) bool {
	a, b := vs.Validators[i], vs.Validators[j]
	if a.ProposerPriority != b.ProposerPriority {
		return a.ProposerPriority > b.ProposerPriority
	}
	return bytes.Compare(a.Address, b.Address) < 0
}

func addClip(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	if b < 0 && a < math.MinInt64-b {
		return math.MinInt64
	}
	return a + b
}

func subClip(a, b int64) int64 {
	if b > 0 && a < math.MinInt64+b {
		return math.MinInt64
	}
	if b < 0 && a > math.MaxInt64+b {
		return math.MaxInt64
	}
	return a - b
}
