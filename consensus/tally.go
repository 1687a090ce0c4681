package consensus

// Tally counts the messages of one slot (one vote type at one height and
// round, say) with one message per validator, weighted by voting power. A
// second message from a validator for a different value is equivocation: it
// is returned to the caller as evidence and never counted.
type Tally[M any] struct {
	vals    *ValidatorSet
	first   map[int32]tallied[M]
	power   map[ID]int64
	any     int64
	evident map[int32]bool
}

type tallied[M any] struct {
	value ID
	msg   M
}

// NewTally returns an empty tally over vals.
func NewTally[M any](vals *ValidatorSet) *Tally[M] {
	return &Tally[M]{vals: vals, first: map[int32]tallied[M]{}, power: map[ID]int64{}}
}

// Add counts msg, from validator, for value. It reports whether the message
// was counted. When the validator already voted for another value, conflict
// is true and prior is the message counted earlier; evidence is reported
// only once per validator.
func (t *Tally[M]) Add(validator int32, value ID, msg M) (counted bool, prior M, conflict bool) {
	if !t.vals.Has(validator) {
		return false, prior, false
	}
	if old, ok := t.first[validator]; ok {
		if old.value == value || t.evident[validator] {
			return false, prior, false
		}
		if t.evident == nil {
			t.evident = map[int32]bool{}
		}
		t.evident[validator] = true
		return false, old.msg, true
	}
	t.first[validator] = tallied[M]{value, msg}
	p := t.vals.Power(validator)
	t.power[value] += p
	t.any += p
	return true, prior, false
}

// Power is the power of the validators counted for value.
func (t *Tally[M]) Power(value ID) int64 { return t.power[value] }

// AnyPower is the power of every validator counted, whatever its value.
func (t *Tally[M]) AnyPower() int64 { return t.any }

// HasQuorum reports more than 2/3 of the power for value.
func (t *Tally[M]) HasQuorum(value ID) bool { return t.vals.IsQuorum(t.power[value]) }

// HasQuorumAny reports more than 2/3 of the power for any values together.
func (t *Tally[M]) HasQuorumAny() bool { return t.vals.IsQuorum(t.any) }

// QuorumValue returns the value, other than Nil, that has more than 2/3 of
// the power, if any.
func (t *Tally[M]) QuorumValue() (ID, bool) {
	for v, p := range t.power {
		if v != Nil && t.vals.IsQuorum(p) {
			return v, true
		}
	}
	return Nil, false
}

// Voted reports whether validator has a counted message, and for what.
func (t *Tally[M]) Voted(validator int32) (ID, bool) {
	e, ok := t.first[validator]
	return e.value, ok
}

// Messages returns the counted messages for value, in validator order.
func (t *Tally[M]) Messages(value ID) []M {
	var out []M
	for i := int32(0); int(i) < t.vals.Size(); i++ {
		if e, ok := t.first[i]; ok && e.value == value {
			out = append(out, e.msg)
		}
	}
	return out
}

// All returns every counted message, in validator order.
func (t *Tally[M]) All() []M {
	var out []M
	for i := int32(0); int(i) < t.vals.Size(); i++ {
		if e, ok := t.first[i]; ok {
			out = append(out, e.msg)
		}
	}
	return out
}
