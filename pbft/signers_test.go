package pbft

import (
	"bytes"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
)

// signBy stands in for the driver's signature by the validator with
// address signer: a copy whose signature names the signer, so that a
// check can tell whether the signer index a message carries names the
// validator that signed it. A NEW-VIEW's pre-prepares are signed by the
// same validator, as the driver signs them.
func signBy(m consensus.Message, signer []byte) consensus.Message {
	sig := append([]byte("by:"), signer...)
	switch m := m.(type) {
	case *consensus.Proposal:
		c := *m
		c.Signature = sig
		return &c
	case *consensus.Vote:
		c := *m
		c.Signature = sig
		return &c
	case *consensus.Checkpoint:
		c := *m
		c.Signature = sig
		return &c
	case *consensus.ViewChange:
		c := *m
		c.Signature = sig
		return &c
	case *consensus.NewView:
		c := *m
		c.Signature = sig
		c.PrePrepares = append([]consensus.Proposal(nil), m.PrePrepares...)
		for i := range c.PrePrepares {
			c.PrePrepares[i].Signature = sig
		}
		return &c
	}
	panic(fmt.Sprintf("cannot sign %T", m))
}

// checkSigners checks m's signature and every nested one as the driver
// does before the replica r sees m (engine/verify.go): the validator at
// the signer index in the set of the message's height must have signed
// it. A VIEW-CHANGE or NEW-VIEW carries no height: its own signer is
// looked up in the set of the height r executes next. The driver knows
// the sets up to two heights past its last executed one and guesses the
// later ones to be that of the second.
func (cl *cluster) checkSigners(r *Core, m consensus.Message) error {
	if bytes.Equal(m.OwnSignature(), append([]byte("by:"), r.selfAddr...)) {
		return nil // the driver hands a replica its own messages unchecked
	}
	last := r.lastExecuted
	set := func(h int64) *consensus.ValidatorSet {
		if cl.setAt == nil {
			return cl.vals
		}
		return cl.setAt(min(h, last+2))
	}
	one := func(h int64, index int32, sig []byte) error {
		vals := set(h)
		if index < 0 || int(index) >= vals.Size() {
			return fmt.Errorf("signer index %d at height %d: the set has %d validators", index, h, vals.Size())
		}
		if want := append([]byte("by:"), vals.Validators[index].Address...); !bytes.Equal(sig, want) {
			return fmt.Errorf("index %d of the set of height %d is validator %X, but %q signed", index, h, vals.Validators[index].Address, sig)
		}
		return nil
	}
	viewChange := func(vc *consensus.ViewChange) error {
		for i := range vc.Stable.Proof {
			cp := &vc.Stable.Proof[i]
			if err := one(cp.Height, cp.Validator, cp.Signature); err != nil {
				return fmt.Errorf("checkpoint in the stable proof: %w", err)
			}
		}
		for i := range vc.Prepared {
			pc := &vc.Prepared[i]
			if err := one(pc.PrePrepare.Height, pc.PrePrepare.Proposer, pc.PrePrepare.Signature); err != nil {
				return fmt.Errorf("pre-prepare of a prepared certificate: %w", err)
			}
			for j := range pc.Prepares {
				p := &pc.Prepares[j]
				if err := one(p.Height, p.Validator, p.Signature); err != nil {
					return fmt.Errorf("prepare of a prepared certificate: %w", err)
				}
			}
		}
		return one(last+1, vc.Validator, vc.Signature)
	}
	switch m := m.(type) {
	case *consensus.Proposal:
		return one(m.Height, m.Proposer, m.Signature)
	case *consensus.Vote:
		return one(m.Height, m.Validator, m.Signature)
	case *consensus.Checkpoint:
		return one(m.Height, m.Validator, m.Signature)
	case *consensus.ViewChange:
		return viewChange(m)
	case *consensus.NewView:
		for i := range m.ViewChanges {
			if err := viewChange(&m.ViewChanges[i]); err != nil {
				return fmt.Errorf("view change of validator %d: %w", m.ViewChanges[i].Validator, err)
			}
		}
		for i := range m.PrePrepares {
			p := &m.PrePrepares[i]
			if err := one(p.Height, p.Proposer, p.Signature); err != nil {
				return fmt.Errorf("pre-prepare: %w", err)
			}
		}
		return one(last+1, m.Validator, m.Signature)
	}
	return fmt.Errorf("unknown message %T", m)
}

// describeMsg names a message for a test's failure report.
func describeMsg(m consensus.Message) string {
	switch m := m.(type) {
	case *consensus.Proposal:
		return fmt.Sprintf("PRE-PREPARE(h=%d v=%d from %d)", m.Height, m.Round, m.Proposer)
	case *consensus.Vote:
		return fmt.Sprintf("%v(h=%d v=%d from %d)", m.Type, m.Height, m.Round, m.Validator)
	case *consensus.Checkpoint:
		return fmt.Sprintf("CHECKPOINT(h=%d from %d)", m.Height, m.Validator)
	case *consensus.ViewChange:
		return fmt.Sprintf("VIEW-CHANGE(v=%d from %d, stable %d, %d certificates)", m.View, m.Validator, m.Stable.Height, len(m.Prepared))
	case *consensus.NewView:
		return fmt.Sprintf("NEW-VIEW(v=%d from %d)", m.View, m.Validator)
	}
	return fmt.Sprintf("%T", m)
}
