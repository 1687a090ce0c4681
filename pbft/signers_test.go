package pbft

import (
	"bytes"
	"fmt"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// signBy stands in for the driver's signature by the validator with
// address signer: a copy whose signature names the signer, so that a
// check can tell whether the signer index a message carries names the
// validator that signed it. A NEW-VIEW's pre-prepares are signed by the
// same validator, as the driver signs them.
func signBy(m consensus.Message, signer []byte) consensus.Message {
	return withSignature(m, append([]byte("by:"), signer...))
}

// checkSigners checks m's signature and every nested one as the driver
// does before the replica r sees m (engine/verify.go): the validator at
// the signer index in the set of the message's height must have signed
// it. A VIEW-CHANGE or NEW-VIEW carries no height: its own signer is
// looked up in the set of the height r executes next. The driver knows
// the sets up to two heights past its last executed one and guesses the
// later ones to be that of the second.
//
// blamed tells whether the driver would penalize the sender for a
// failure: not when a set it used was a guess, that is a height beyond
// the next two, or for a message without a height, a change of the set
// within the latest height and the next two or in the 64 heights before,
// or a peer ahead by two heights or more (engine/verify.go addNow).
func (cl *cluster) checkSigners(r *Core, m consensus.Message) (blamed bool, err error) {
	if bytes.Equal(m.OwnSignature(), append([]byte("by:"), r.selfAddr...)) {
		return false, nil // the driver hands a replica its own messages unchecked
	}
	err = cl.checkSignatures(r, m)
	return err != nil && !cl.guessedSets(r, m), err
}

func (cl *cluster) guessedSets(r *Core, m consensus.Message) bool {
	last := r.lastExecuted
	beyond := func(h int64) bool { return h > last+2 }
	viewChange := func(vc *consensus.ViewChange) bool {
		for i := range vc.Stable.Proof {
			if beyond(vc.Stable.Proof[i].Height) {
				return true
			}
		}
		for i := range vc.Prepared {
			if beyond(vc.Prepared[i].PrePrepare.Height) {
				return true
			}
		}
		return false
	}
	heightless := func() bool {
		if cl.setAt != nil {
			for h := last + 2; h > max(last+1-64, 1); h-- {
				if !sameMembers(cl.setAt(h), cl.setAt(h-1)) {
					return true
				}
			}
		}
		for _, n := range cl.nodes {
			if n.core.lastExecuted >= last+2 {
				return true
			}
		}
		return false
	}
	switch m := m.(type) {
	case *consensus.Proposal:
		return beyond(m.Height)
	case *consensus.Vote:
		return beyond(m.Height)
	case *consensus.Checkpoint:
		return beyond(m.Height)
	case *consensus.ViewChange:
		return viewChange(m) || heightless()
	case *consensus.NewView:
		for i := range m.ViewChanges {
			if viewChange(&m.ViewChanges[i]) {
				return true
			}
		}
		for i := range m.PrePrepares {
			if beyond(m.PrePrepares[i].Height) {
				return true
			}
		}
		return heightless()
	}
	return false
}

func (cl *cluster) checkSignatures(r *Core, m consensus.Message) error {
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

// clusterBans models a driver's penalties: three within ten minutes ban
// the peer for ten minutes, in both directions.
type clusterBans struct {
	offences map[[2]int]int
	until    map[[2]int]time.Duration
	// log lists every ban: who banned whom, when, and for what.
	log []string
}

const clusterBanAfter, clusterBanFor = 3, 10 * time.Minute

func (b *clusterBans) banned(a, c int, now time.Duration) bool {
	return now < b.until[[2]int{a, c}] || now < b.until[[2]int{c, a}]
}

// penalize records an offence by the signer of m against replica i.
func (cl *cluster) penalize(i int, m consensus.Message) {
	b := cl.bans
	if b == nil {
		return
	}
	if b.offences == nil {
		b.offences, b.until = map[[2]int]int{}, map[[2]int]time.Duration{}
	}
	from := -1
	for j, n := range cl.nodes {
		if bytes.Equal(m.OwnSignature(), append([]byte("by:"), n.core.selfAddr...)) {
			from = j
		}
	}
	k := [2]int{i, from}
	b.offences[k]++
	if b.offences[k] >= clusterBanAfter {
		b.offences[k] = 0
		b.until[k] = cl.now + clusterBanFor
		b.log = append(b.log, fmt.Sprintf("at %v node %d banned node %d for %s", cl.now, i, from, describeMsg(m)))
	}
}
