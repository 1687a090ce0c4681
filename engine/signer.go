package engine

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire"
	"github.com/cometbft/cometbft/crypto"
)

// ErrDoubleSign is returned when the node was about to sign a second,
// different proposal or vote for one slot. It means a broken invariant: the
// node halts rather than equivocate.
var ErrDoubleSign = errors.New("refusing to sign a conflicting message")

// errBelowFloor is returned for a proposal or vote below the floor set by
// the last snapshot: the guard has forgotten what was signed there, so it
// signs nothing. Not signing is always safe; the node carries on.
var errBelowFloor = errors.New("below the signing floor")

// slot is what a validator may sign only once: a proposal or a vote of one
// type at one height and round (view for PBFT).
type slot struct {
	kind   uint8 // 0 proposal, else the vote type
	height int64
	round  int32
}

// Signer signs the node's own messages with its validator key. Its guard
// remembers every proposal and vote signed since the last snapshot (rebuilt
// from the write-ahead log on restart) and refuses anything conflicting or
// below the floor the last snapshot set.
type Signer struct {
	key     crypto.PrivKey
	chainID string
	floor   int64
	signed  map[slot]consensus.Message
}

// NewSigner returns a signer for key on chain chainID.
func NewSigner(key crypto.PrivKey, chainID string) *Signer {
	return &Signer{key: key, chainID: chainID, signed: map[slot]consensus.Message{}}
}

// Address is the validator address of the key.
func (s *Signer) Address() []byte { return s.key.PubKey().Address() }

// SetFloor forgets everything below height and refuses to sign there.
func (s *Signer) SetFloor(height int64) {
	s.floor = height
	for k := range s.signed {
		if k.height < height {
			delete(s.signed, k)
		}
	}
}

// Guarded returns the signed proposals and votes the guard remembers.
func (s *Signer) Guarded() []consensus.Message {
	out := make([]consensus.Message, 0, len(s.signed))
	for _, m := range s.signed {
		out = append(out, m)
	}
	return out
}

// Observe records a message this node signed earlier (from the log).
func (s *Signer) Observe(m consensus.Message) {
	if k, _, ok := slotOf(m); ok {
		if _, seen := s.signed[k]; !seen {
			s.signed[k] = m
		}
	}
}

// Sign stamps and signs m. Signing the same content for a slot again
// returns the message signed the first time, so a replay after a crash
// sends byte-identical messages.
func (s *Signer) Sign(m consensus.Message, now time.Time) (consensus.Message, error) {
	switch m := m.(type) {
	case *consensus.Proposal:
		return s.signGuarded(m, now)
	case *consensus.Vote:
		return s.signGuarded(m, now)
	case *consensus.Checkpoint:
		c := *m
		return s.finish(&c)
	case *consensus.ViewChange:
		vc := *m
		return s.finish(&vc)
	case *consensus.NewView:
		nv := *m
		nv.PrePrepares = make([]consensus.Proposal, len(m.PrePrepares))
		for i := range m.PrePrepares {
			signed, err := s.signGuarded(&m.PrePrepares[i], now)
			if err != nil {
				return nil, err
			}
			nv.PrePrepares[i] = *signed.(*consensus.Proposal)
		}
		return s.finish(&nv)
	}
	return nil, fmt.Errorf("cannot sign a %T", m)
}

func (s *Signer) signGuarded(m consensus.Message, now time.Time) (consensus.Message, error) {
	k, value, _ := slotOf(m)
	if k.height < s.floor {
		return nil, fmt.Errorf("%w: height %d, floor %d", errBelowFloor, k.height, s.floor)
	}
	if prev, ok := s.signed[k]; ok {
		_, prevValue, _ := slotOf(prev)
		if prevValue != value {
			return nil, fmt.Errorf("%w: already signed %s at height %d round %d for another value", ErrDoubleSign, kindName(k.kind), k.height, k.round)
		}
		return prev, nil
	}
	var out consensus.Message
	switch m := m.(type) {
	case *consensus.Proposal:
		p := *m
		p.Timestamp = now
		out = &p
	case *consensus.Vote:
		v := *m
		v.Timestamp = now
		out = &v
	}
	signed, err := s.finish(out)
	if err != nil {
		return nil, err
	}
	s.signed[k] = signed
	return signed, nil
}

// finish signs m in place; m is already a copy owned by the signer.
func (s *Signer) finish(m consensus.Message) (consensus.Message, error) {
	sb, err := wire.SignBytes(s.chainID, m)
	if err != nil {
		return nil, fmt.Errorf("sign bytes of %T: %w", m, err)
	}
	sig, err := s.key.Sign(sb)
	if err != nil {
		return nil, fmt.Errorf("signing %T: %w", m, err)
	}
	m.SetOwnSignature(sig)
	return m, nil
}

// Extend adds a vote extension to a precommit the signer signed and signs
// the extension (CometBFT's canonical vote-extension bytes). The guard
// keeps the extended vote, so a replay after a crash sends the same
// extension again rather than asking the application for another.
func (s *Signer) Extend(v *consensus.Vote, ext []byte) (*consensus.Vote, error) {
	out := *v
	out.Extension = bytes.Clone(ext)
	sb, err := wire.ExtensionSignBytes(s.chainID, &out)
	if err != nil {
		return nil, fmt.Errorf("vote extension: %w", err)
	}
	if out.ExtensionSignature, err = s.key.Sign(sb); err != nil {
		return nil, fmt.Errorf("signing a vote extension: %w", err)
	}
	if k, value, _ := slotOf(v); k.height >= s.floor {
		if prev, ok := s.signed[k]; ok {
			if _, prevValue, _ := slotOf(prev); prevValue != value {
				return nil, fmt.Errorf("%w: extending a precommit the guard holds for another value", ErrDoubleSign)
			}
		}
		s.signed[k] = &out
	}
	return &out, nil
}

func slotOf(m consensus.Message) (slot, consensus.ID, bool) {
	switch m := m.(type) {
	case *consensus.Proposal:
		return slot{0, m.Height, m.Round}, m.Value, true
	case *consensus.Vote:
		return slot{uint8(m.Type), m.Height, m.Round}, m.Value, true
	}
	return slot{}, consensus.Nil, false
}

func kindName(k uint8) string {
	if k == 0 {
		return "a proposal"
	}
	return "a " + consensus.VoteType(k).String()
}
