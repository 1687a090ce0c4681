package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
)

// keyring holds every validator's simulated secret. A signature is the hash
// of the signer's secret and the message's canonical encoding; verifying
// recomputes it. Only the driver of a validator's own node(s) ever signs
// with its secret, so a Byzantine node can sign only as itself.
type keyring struct {
	secrets [][]byte
	scratch []byte
}

func newKeyring(seed uint64, n int) *keyring {
	k := &keyring{}
	for i := 0; i < n; i++ {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], seed)
		binary.BigEndian.PutUint64(b[8:], uint64(i))
		s := sha256.Sum256(append([]byte("bftsim validator key "), b[:]...))
		k.secrets = append(k.secrets, s[:])
	}
	return k
}

// signature computes validator val's signature over m (m's own signature
// field is not covered).
func (k *keyring) signature(val int32, m consensus.Message) ([]byte, error) {
	if val < 0 || int(val) >= len(k.secrets) {
		return nil, fmt.Errorf("no key for validator %d", val)
	}
	body, err := signBytes(k.scratch, m)
	if err != nil {
		return nil, err
	}
	k.scratch = body
	h := sha256.New()
	h.Write(k.secrets[val])
	h.Write(body)
	return h.Sum(nil), nil
}

var errBadSignature = errors.New("bad signature")

// verify checks m's signature and, recursively, the signatures of every
// message nested in it (a NewView's view changes and pre-prepares, a view
// change's checkpoints and prepared certificates).
func (k *keyring) verify(m consensus.Message) error {
	if err := k.verifyOne(m); err != nil {
		return err
	}
	switch m := m.(type) {
	case *consensus.ViewChange:
		return k.verifyViewChangeBody(m)
	case *consensus.NewView:
		for i := range m.ViewChanges {
			vc := &m.ViewChanges[i]
			if err := k.verify(vc); err != nil {
				return fmt.Errorf("new-view view %d: view change %d: %w", m.View, i, err)
			}
		}
		for i := range m.PrePrepares {
			if err := k.verifyOne(&m.PrePrepares[i]); err != nil {
				return fmt.Errorf("new-view view %d: pre-prepare %d: %w", m.View, i, err)
			}
		}
	}
	return nil
}

func (k *keyring) verifyViewChangeBody(m *consensus.ViewChange) error {
	for i := range m.Stable.Proof {
		if err := k.verifyOne(&m.Stable.Proof[i]); err != nil {
			return fmt.Errorf("view change: checkpoint proof %d: %w", i, err)
		}
	}
	for i := range m.Prepared {
		c := &m.Prepared[i]
		if err := k.verifyOne(&c.PrePrepare); err != nil {
			return fmt.Errorf("view change: prepared certificate %d pre-prepare: %w", i, err)
		}
		for j := range c.Prepares {
			if err := k.verifyOne(&c.Prepares[j]); err != nil {
				return fmt.Errorf("view change: prepared certificate %d prepare %d: %w", i, j, err)
			}
		}
	}
	return nil
}

func (k *keyring) verifyOne(m consensus.Message) error {
	signer := m.Signer()
	want, err := k.signature(signer, m)
	if err != nil {
		return fmt.Errorf("%w: %w", errBadSignature, err)
	}
	if !bytes.Equal(want, m.OwnSignature()) {
		return fmt.Errorf("%w: %s not signed by validator %d", errBadSignature, describe(m), signer)
	}
	return nil
}

// slot is what double-sign protection keys on: message kind, height and
// round (or view).
type slot struct {
	kind   byte
	height int64
	round  int32
}

func slotOf(m consensus.Message) slot {
	switch m := m.(type) {
	case *consensus.Proposal:
		return slot{kindProposal, m.Height, m.Round}
	case *consensus.Vote:
		return slot{voteKind(m.Type), m.Height, m.Round}
	case *consensus.Checkpoint:
		return slot{kindCheckpoint, m.Height, 0}
	case *consensus.ViewChange:
		return slot{kindViewChange, 0, m.View}
	case *consensus.NewView:
		return slot{kindNewView, 0, m.View}
	}
	return slot{}
}

// errDoubleSign marks a request to sign different content for a slot the
// signer already signed.
var errDoubleSign = errors.New("double sign")

// signer is one node's signing service with double-sign protection: it
// remembers what it signed per slot, durably (it survives crashes), and
// refuses to sign anything else for that slot.
type signer struct {
	keys   *keyring
	val    int32
	signed map[slot]signedRecord
	// floor is the lowest height a proposal or vote may still be signed
	// for (SaveSnapshot.SignFloor); records below it are forgotten, as
	// the engine's guard forgets what was logged before a snapshot.
	floor int64
}

// errBelowFloor marks a request to sign a proposal or vote below the
// sign floor of the latest snapshot.
var errBelowFloor = errors.New("below the sign floor")

// raiseFloor refuses from now on every proposal or vote below floor and
// forgets the records below it.
func (s *signer) raiseFloor(floor int64) {
	if floor <= s.floor {
		return
	}
	s.floor = floor
	for sl := range s.signed {
		if heightSlot(sl.kind) && sl.height < floor {
			delete(s.signed, sl)
		}
	}
}

func heightSlot(kind byte) bool {
	return kind == kindProposal || kind == kindPrevote || kind == kindPrecommit
}

type signedRecord struct {
	content string
	msg     consensus.Message
}

func newSigner(keys *keyring, val int32) *signer {
	return &signer{keys: keys, val: val, signed: map[slot]signedRecord{}}
}

// sign returns a signed copy of m. Re-signing identical content returns
// the message signed the first time; different content for a signed slot
// fails with errDoubleSign. A NewView's pre-prepares are signed first, each
// under its own slot.
func (s *signer) sign(m consensus.Message) (consensus.Message, error) {
	return s.signWith(m, true)
}

// signUnprotected signs m as this validator without consulting or updating
// the protection: what a Byzantine validator does.
func (s *signer) signUnprotected(m consensus.Message) (consensus.Message, error) {
	return s.signWith(m, false)
}

func (s *signer) signWith(m consensus.Message, protect bool) (consensus.Message, error) {
	if m == nil {
		return nil, errNilMessage
	}
	if m.Signer() != s.val {
		return nil, fmt.Errorf("asked validator %d to sign %s for validator %d", s.val, describe(m), m.Signer())
	}
	m = cloneMessage(m)
	if nv, ok := m.(*consensus.NewView); ok {
		for i := range nv.PrePrepares {
			signed, err := s.signWith(&nv.PrePrepares[i], protect)
			if err != nil {
				return nil, fmt.Errorf("new-view view %d pre-prepare %d: %w", nv.View, i, err)
			}
			nv.PrePrepares[i] = *signed.(*consensus.Proposal)
		}
	}
	if !protect {
		return s.signOne(m)
	}
	content, err := slotContent(m)
	if err != nil {
		return nil, err
	}
	sl := slotOf(m)
	if heightSlot(sl.kind) && sl.height < s.floor {
		return nil, fmt.Errorf("%w: validator %d was asked to sign %s, floor %d", errBelowFloor, s.val, describe(m), s.floor)
	}
	if rec, ok := s.signed[sl]; ok {
		if rec.content != content {
			return nil, fmt.Errorf("%w: validator %d signed %s and was asked to sign %s", errDoubleSign, s.val, describe(rec.msg), describe(m))
		}
		return cloneMessage(rec.msg), nil
	}
	signed, err := s.signOne(m)
	if err != nil {
		return nil, err
	}
	s.signed[sl] = signedRecord{content: content, msg: cloneMessage(signed)}
	return signed, nil
}

func (s *signer) signOne(m consensus.Message) (consensus.Message, error) {
	sig, err := s.keys.signature(s.val, m)
	if err != nil {
		return nil, err
	}
	m.SetOwnSignature(sig)
	return m, nil
}
