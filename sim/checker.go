package sim

import (
	"bytes"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
)

// checker holds what the safety checks compare against.
type checker struct {
	w *world
	// first honest decision per height, and who made it
	decided   map[int64]consensus.ID
	decidedBy map[int64]int
	reported  map[violationKey]bool
	// stableSeen is, per node, the stable checkpoint height last checked.
	stableSeen map[int]int64
}

func newChecker(w *world) checker {
	return checker{w: w, decided: map[int64]consensus.ID{}, decidedBy: map[int64]int{}, reported: map[violationKey]bool{}, stableSeen: map[int]int64{}}
}

// decide checks a decision of an honest node: agreement with every other
// honest node, validity of the value, integrity (at most one decision per
// height and life; a later life may only repeat it) and a commit that
// justifies it.
func (c *checker) decide(n *node, d consensus.Decide) {
	w := c.w
	w.mix(uint64(d.Height)<<8 | uint64(n.slot))
	w.mixString(string(d.Value))
	if !n.honest {
		return
	}
	h, v := d.Height, d.Value
	if n.decidedLife[h] {
		w.violate("integrity", n, h, "decided height %d twice in one life (now %s)", h, valueName(v))
	}
	n.decidedLife[h] = true
	if prev, ok := n.decided[h]; ok && prev != v {
		w.violate("integrity", n, h, "decided %s at height %d, earlier %s", valueName(v), h, valueName(prev))
	}
	if _, ok := n.decided[h]; !ok {
		n.decided[h] = v
		w.res.Decided++
	}
	if first, ok := c.decided[h]; ok && first != v {
		w.violate("agreement", n, h, "decided %s at height %d; node %d decided %s", valueName(v), h, c.decidedBy[h], valueName(first))
	} else if !ok {
		c.decided[h] = v
		c.decidedBy[h] = n.slot
	}
	if !w.valid(h, v) {
		w.violate("validity", n, h, "decided %s at height %d: %s", valueName(v), h, c.whyInvalid(h, v))
	}
	if err := c.justifies(h, v, d.Commit); err != nil {
		w.violate("commit", n, h, "decision of %s at height %d: %v", valueName(v), h, err)
	}
}

func (c *checker) whyInvalid(h int64, v consensus.ID) string {
	if v == consensus.Nil {
		return "nil is not a block of this protocol"
	}
	info, ok := c.w.values[v]
	switch {
	case !ok:
		return "never proposed"
	case !info.valid:
		return fmt.Sprintf("an invalid block proposed by validator %d", info.proposer)
	default:
		return fmt.Sprintf("a block prepared for height %d", info.height)
	}
}

// justifies checks that commit is precommits of one round for v at h,
// correctly signed, one per validator, with more than 2/3 of the power.
func (c *checker) justifies(h int64, v consensus.ID, commit []consensus.Vote) error {
	vals := c.w.valsAt(h)
	if len(commit) == 0 {
		return fmt.Errorf("empty commit")
	}
	round := commit[0].Round
	seen := map[int32]bool{}
	var power int64
	for i := range commit {
		vote := &commit[i]
		switch {
		case vote.Type != consensus.Precommit:
			return fmt.Errorf("commit holds a %s", vote.Type)
		case vote.Height != h || vote.Round != round || vote.Value != v:
			return fmt.Errorf("commit vote %s does not match height %d round %d", describe(vote), h, round)
		case !vals.Has(vote.Validator) || seen[vote.Validator]:
			return fmt.Errorf("commit vote %s from an unknown or repeated validator", describe(vote))
		}
		if err := c.w.keys.verify(vote); err != nil {
			return fmt.Errorf("commit vote: %w", err)
		}
		seen[vote.Validator] = true
		power += vals.Power(vote.Validator)
	}
	if !vals.IsQuorum(power) {
		return fmt.Errorf("commit power %d of %d is not more than 2/3", power, vals.TotalPower())
	}
	return nil
}

// evidence checks that evidence names a validator that is Byzantine: an
// honest one never signs two conflicting messages.
func (c *checker) evidence(n *node, e consensus.Evidence) {
	if e.First == nil || e.Second == nil {
		n.badAction("evidence with a missing message")
		return
	}
	if !n.honest {
		return
	}
	c.w.res.Evidence++
	for _, who := range []int32{e.First.Signer(), e.Second.Signer()} {
		if who >= 0 && int(who) < len(c.w.honestVal) && c.w.honestVal[who] {
			c.w.violate("evidence", n, slotOf(e.First).height, "evidence against honest validator %d: %s vs %s", who, describe(e.First), describe(e.Second))
			return
		}
	}
}

// refused checks an input a core refused as invalid: an honest PBFT node
// must accept every VIEW-CHANGE and CHECKPOINT an honest validator signed.
// A refused one makes its signer silent in view changes or checkpoints at
// that node, though nothing it sent was wrong: for instance a stable
// checkpoint or prepared certificate counted with the powers of an earlier
// validator set, which every node that knows the set of its height
// refuses, so the view change may never complete. Only a core of the
// protocol with stable views (PBFT) is held to it: in a switching chain the
// other protocol's core refuses these messages, late ones of nodes that
// have not switched yet, as messages it does not speak.
func (c *checker) refused(n *node, in consensus.Input, err error) {
	r, ok := in.(consensus.Receive)
	if !ok || !n.honest || !n.runningProtocol().StableViews {
		return
	}
	var what string
	switch r.Msg.(type) {
	case *consensus.ViewChange:
		what = "VIEW-CHANGE"
	case *consensus.Checkpoint:
		what = "CHECKPOINT"
	default:
		return
	}
	who := r.Msg.Signer()
	if who < 0 || int(who) >= len(c.w.honestVal) || !c.w.honestVal[who] {
		return
	}
	c.w.violate("refused", n, slotOf(r.Msg).height, "refused the %s of honest validator %d: %v", what, who, err)
}

// stable checks an honest node's stable checkpoint, when it moved: more
// than 2/3 of the power signed it [§4.3], so at least one honest validator
// executed its height and signed the application hash it computed there.
// A stable checkpoint at a height no honest node has executed, or with
// another hash than the honest nodes', is one nobody honest signed.
func (c *checker) stable(n *node) {
	p := n.runningProtocol()
	if !n.honest || p.Stable == nil || n.core == nil {
		return
	}
	h, hash, ok := p.Stable(n.core)
	if !ok || h <= 0 || c.stableSeen[n.slot] == h {
		return
	}
	c.stableSeen[n.slot] = h
	honest, ok := c.honestAppHash(h)
	switch {
	case !ok:
		c.w.violate("stable", n, h, "stable checkpoint at height %d (app hash %X) that no honest node has executed", h, hash)
	case !bytes.Equal(honest, hash):
		c.w.violate("stable", n, h, "stable checkpoint at height %d with app hash %X; honest nodes computed %X", h, hash, honest)
	}
}

// honestAppHash is the application hash an honest node computed at
// height h, if one executed it.
func (c *checker) honestAppHash(h int64) ([]byte, bool) {
	for _, o := range c.w.nodes {
		if o.honest && o.led.executed >= h {
			return o.led.appHash(h), true
		}
	}
	return nil, false
}
