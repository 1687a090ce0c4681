package wire

import (
	"bytes"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
)

// Validation of consensus messages. signed says whether the message's own
// signature must be present: it is not yet when its sign bytes are computed.
// Nested messages are always signed by their own signers.

// ValidateMessage checks every field of a signed consensus message against
// the wire rules, as decoding does. It does not verify signatures.
func ValidateMessage(m consensus.Message) error {
	return validateMessage(m, true)
}

func validateMessage(m consensus.Message, signed bool) error {
	switch m := m.(type) {
	case *consensus.Proposal:
		if m == nil {
			return invalidf("nil proposal")
		}
		return validateProposal("proposal", m, signed)
	case *consensus.Vote:
		if m == nil {
			return invalidf("nil vote")
		}
		return validateVote("vote", m, signed)
	case *consensus.Checkpoint:
		if m == nil {
			return invalidf("nil checkpoint")
		}
		return validateCheckpoint("checkpoint", m, signed)
	case *consensus.ViewChange:
		if m == nil {
			return invalidf("nil view change")
		}
		return validateViewChange("view change", m, signed)
	case *consensus.NewView:
		if m == nil {
			return invalidf("nil new view")
		}
		return validateNewView("new view", m, signed)
	case nil:
		return invalidf("no consensus message")
	}
	return invalidf("unknown consensus message type %T", m)
}

func validateProposal(what string, p *consensus.Proposal, signed bool) error {
	if err := checkHeight(what, p.Height); err != nil {
		return err
	}
	if err := checkRound(what, p.Round); err != nil {
		return err
	}
	// A proof-of-lock round is -1 (none) or an earlier round (Algorithm 1,
	// line 28: vr < round_p).
	if p.POLRound < -1 || (p.POLRound >= 0 && p.POLRound >= p.Round) {
		return invalidf("%s: POL round %d; want -1 or in [0,%d)", what, p.POLRound, p.Round)
	}
	if err := checkID(what, p.Value); err != nil {
		return err
	}
	if err := checkIndex(what, p.Proposer); err != nil {
		return err
	}
	if err := checkTime(what, p.Timestamp); err != nil {
		return err
	}
	if signed {
		return checkSignature(what, p.Signature)
	}
	return nil
}

func validateVote(what string, v *consensus.Vote, signed bool) error {
	if v.Type != consensus.Prevote && v.Type != consensus.Precommit {
		return invalidf("%s: vote type %d; want prevote (1) or precommit (2)", what, v.Type)
	}
	if err := checkHeight(what, v.Height); err != nil {
		return err
	}
	if err := checkRound(what, v.Round); err != nil {
		return err
	}
	if err := checkID(what, v.Value); err != nil {
		return err
	}
	if err := checkIndex(what, v.Validator); err != nil {
		return err
	}
	if err := checkTime(what, v.Timestamp); err != nil {
		return err
	}
	if err := checkExtension(what, v, signed); err != nil {
		return err
	}
	if signed {
		return checkSignature(what, v.Signature)
	}
	return nil
}

// checkExtension allows a vote extension only where ABCI 2.0 has one: on
// a precommit for a value, no larger than CometBFT accepts, and signed
// once the vote is. Whether the chain enables extensions at the vote's
// height is the driver's check.
func checkExtension(what string, v *consensus.Vote, signed bool) error {
	if len(v.Extension) == 0 && len(v.ExtensionSignature) == 0 {
		return nil
	}
	if v.Type != consensus.Precommit || v.Value == consensus.Nil {
		return invalidf("%s: a %v for %s carries a vote extension; only precommits for a block do", what, v.Type, describeValue(v.Value))
	}
	if len(v.Extension) > MaxVoteExtensionBytes {
		return invalidf("%s: vote extension is %d bytes; at most %d", what, len(v.Extension), MaxVoteExtensionBytes)
	}
	if signed && len(v.ExtensionSignature) == 0 {
		return invalidf("%s: vote extension without an extension signature", what)
	}
	if len(v.ExtensionSignature) > MaxSignatureBytes {
		return invalidf("%s: extension signature is %d bytes; at most %d", what, len(v.ExtensionSignature), MaxSignatureBytes)
	}
	return nil
}

func describeValue(id consensus.ID) string {
	if id == consensus.Nil {
		return "nil"
	}
	return "a block"
}

func validateCheckpoint(what string, c *consensus.Checkpoint, signed bool) error {
	if err := checkHeight(what, c.Height); err != nil {
		return err
	}
	if len(c.AppHash) > MaxAppHashBytes {
		return invalidf("%s: app hash is %d bytes; at most %d", what, len(c.AppHash), MaxAppHashBytes)
	}
	if err := checkIndex(what, c.Validator); err != nil {
		return err
	}
	if signed {
		return checkSignature(what, c.Signature)
	}
	return nil
}

// validateStable checks a stable checkpoint: the genesis checkpoint (no
// proof, at the height before the chain's initial height, which only the
// core knows) or checkpoints of distinct validators that all name its height
// and app hash. Whether their power is a quorum is the core's to check.
func validateStable(what string, s *consensus.StableCheckpoint) error {
	if s.Height < 0 {
		return invalidf("%s: height %d is negative", what, s.Height)
	}
	if len(s.AppHash) > MaxAppHashBytes {
		return invalidf("%s: app hash is %d bytes; at most %d", what, len(s.AppHash), MaxAppHashBytes)
	}
	if len(s.Proof) == 0 {
		return nil
	}
	if err := checkCount(what+" proof", len(s.Proof), MaxValidators); err != nil {
		return err
	}
	seen := distinct{}
	for i := range s.Proof {
		c := &s.Proof[i]
		cw := fmt.Sprintf("%s proof %d", what, i)
		if err := validateCheckpoint(cw, c, true); err != nil {
			return err
		}
		if c.Height != s.Height || !bytes.Equal(c.AppHash, s.AppHash) {
			return invalidf("%s: names height %d app hash %X; the stable checkpoint is height %d app hash %X", cw, c.Height, c.AppHash, s.Height, s.AppHash)
		}
		if err := seen.add(what+" proof", c.Validator); err != nil {
			return err
		}
	}
	return nil
}

// validatePrepared checks a prepared certificate: a PBFT pre-prepare and
// prepares of distinct validators for its sequence number, view and value.
func validatePrepared(what string, pc *consensus.PreparedCert) error {
	pp := &pc.PrePrepare
	if err := validateProposal(what+" pre-prepare", pp, true); err != nil {
		return err
	}
	if pp.POLRound != -1 {
		return invalidf("%s: pre-prepare has POL round %d; PBFT uses -1", what, pp.POLRound)
	}
	if err := checkCount(what+" prepares", len(pc.Prepares), MaxValidators); err != nil {
		return err
	}
	seen := distinct{}
	for i := range pc.Prepares {
		v := &pc.Prepares[i]
		vw := fmt.Sprintf("%s prepare %d", what, i)
		if err := validateVote(vw, v, true); err != nil {
			return err
		}
		if v.Type != consensus.Prevote || v.Height != pp.Height || v.Round != pp.Round || v.Value != pp.Value {
			return invalidf("%s: is a %v for height %d view %d; the pre-prepare is height %d view %d with another value or type", vw, v.Type, v.Height, v.Round, pp.Height, pp.Round)
		}
		if err := seen.add(what+" prepares", v.Validator); err != nil {
			return err
		}
	}
	return nil
}

func validateViewChange(what string, vc *consensus.ViewChange, signed bool) error {
	if err := checkView(what, vc.View); err != nil {
		return err
	}
	if err := checkIndex(what, vc.Validator); err != nil {
		return err
	}
	if err := validateStable(what+" stable checkpoint", &vc.Stable); err != nil {
		return err
	}
	if err := checkCount(what+" prepared certificates", len(vc.Prepared), MaxPreparedCerts); err != nil {
		return err
	}
	for i := range vc.Prepared {
		if err := validatePrepared(fmt.Sprintf("%s prepared %d", what, i), &vc.Prepared[i]); err != nil {
			return err
		}
	}
	if signed {
		return checkSignature(what, vc.Signature)
	}
	return nil
}

// validateNewView checks a NEW-VIEW: view changes of distinct validators
// for its view and the pre-prepares of set O, all in its view. Whether O
// follows from the view changes is the core's to check.
func validateNewView(what string, nv *consensus.NewView, signed bool) error {
	if err := checkView(what, nv.View); err != nil {
		return err
	}
	if err := checkIndex(what, nv.Validator); err != nil {
		return err
	}
	if len(nv.ViewChanges) == 0 {
		return invalidf("%s: no view changes justify view %d", what, nv.View)
	}
	if err := checkCount(what+" view changes", len(nv.ViewChanges), MaxValidators); err != nil {
		return err
	}
	seen := distinct{}
	for i := range nv.ViewChanges {
		vc := &nv.ViewChanges[i]
		vw := fmt.Sprintf("%s view change %d", what, i)
		if err := validateViewChange(vw, vc, true); err != nil {
			return err
		}
		if vc.View != nv.View {
			return invalidf("%s: is for view %d; the new view is %d", vw, vc.View, nv.View)
		}
		if err := seen.add(what+" view changes", vc.Validator); err != nil {
			return err
		}
	}
	if err := checkCount(what+" pre-prepares", len(nv.PrePrepares), MaxPreparedCerts); err != nil {
		return err
	}
	for i := range nv.PrePrepares {
		pp := &nv.PrePrepares[i]
		pw := fmt.Sprintf("%s pre-prepare %d", what, i)
		if err := validateProposal(pw, pp, true); err != nil {
			return err
		}
		if pp.Round != nv.View || pp.POLRound != -1 {
			return invalidf("%s: view %d POL round %d; want view %d and POL round -1", pw, pp.Round, pp.POLRound, nv.View)
		}
	}
	if signed {
		return checkSignature(what, nv.Signature)
	}
	return nil
}
