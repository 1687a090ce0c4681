package pbft

import (
	"bytes"

	"github.com/bftnode/bftnode/consensus"
)

// Size bounds on fields from peers. Block IDs and application hashes are a
// few dozen bytes; anything far larger is garbage.
const (
	maxIDBytes      = 1024
	maxAppHashBytes = 1024
)

func (c *Core) checkHeight(what string, n int64) error {
	if n < c.cfg.InitialHeight {
		return invalid("%s has height %d, below the initial height %d", what, n, c.cfg.InitialHeight)
	}
	return nil
}

func checkView(what string, v int32) error {
	if v < 0 {
		return invalid("%s has negative view %d", what, v)
	}
	return nil
}

func checkID(what string, id consensus.ID) error {
	if len(id) > maxIDBytes {
		return invalid("%s carries a %d-byte block ID; the limit is %d", what, len(id), maxIDBytes)
	}
	return nil
}

// checkPrePrepareFields validates a PRE-PREPARE's fields against vals.
func (c *Core) checkPrePrepareFields(p *consensus.Proposal, vals *consensus.ValidatorSet) error {
	if err := c.checkHeight("pre-prepare", p.Height); err != nil {
		return err
	}
	if err := checkView("pre-prepare", p.Round); err != nil {
		return err
	}
	if p.POLRound != -1 {
		return invalid("pre-prepare at height %d has POL round %d; PBFT pre-prepares carry -1", p.Height, p.POLRound)
	}
	if !vals.Has(p.Proposer) {
		return invalid("pre-prepare signed by validator index %d; the set has %d validators", p.Proposer, vals.Size())
	}
	return checkID("pre-prepare", p.Value)
}

// checkVoteFields validates a PREPARE or COMMIT's fields against vals.
func (c *Core) checkVoteFields(v *consensus.Vote, vals *consensus.ValidatorSet) error {
	if v.Type != consensus.Prevote && v.Type != consensus.Precommit {
		return invalid("vote of unknown type %d", v.Type)
	}
	if err := c.checkHeight(v.Type.String(), v.Height); err != nil {
		return err
	}
	if err := checkView(v.Type.String(), v.Round); err != nil {
		return err
	}
	if !vals.Has(v.Validator) {
		return invalid("%s signed by validator index %d; the set has %d validators", v.Type, v.Validator, vals.Size())
	}
	return checkID(v.Type.String(), v.Value)
}

// checkCheckpointFields validates a CHECKPOINT's fields.
func (c *Core) checkCheckpointFields(cp *consensus.Checkpoint) error {
	if err := c.checkHeight("checkpoint", cp.Height); err != nil {
		return err
	}
	if cp.Height%c.cfg.CheckpointInterval != 0 {
		return invalid("checkpoint at height %d is not at a multiple of the checkpoint interval %d", cp.Height, c.cfg.CheckpointInterval)
	}
	if vals := c.sets.at(cp.Height); !vals.Has(cp.Validator) {
		return invalid("checkpoint signed by validator index %d; the set has %d validators", cp.Validator, vals.Size())
	}
	if len(cp.AppHash) > maxAppHashBytes {
		return invalid("checkpoint carries a %d-byte app hash; the limit is %d", len(cp.AppHash), maxAppHashBytes)
	}
	return nil
}

// forgotten reports a height at or below the replica's stable checkpoint
// whose validator set it pruned. A VIEW-CHANGE from a replica further
// behind can still carry a checkpoint or certificates there; the driver
// checked their signatures against the stored sets, and this replica's
// own stable checkpoint, proven by more than 2/3 of the power, covers
// them: it never prepares there again, and as primary it builds O above
// its own checkpoint, which its VIEW-CHANGE in V carries [§4.4]. Weighing
// them with another height's set would refuse an honest VIEW-CHANGE once
// powers changed (a change of powers moves validators' indexes).
func (c *Core) forgotten(h int64) bool { return h <= c.low() && !c.sets.holds(h) }

// checkStable validates a stable checkpoint's proof: CHECKPOINTs for its
// height and digest from distinct validators with more than 2/3 of the
// power [§4.3], or the genesis checkpoint (InitialHeight-1, no proof).
func (c *Core) checkStable(sc *consensus.StableCheckpoint) error {
	genesis := c.cfg.InitialHeight - 1
	if sc.Height == genesis {
		if len(sc.Proof) != 0 || len(sc.AppHash) != 0 {
			return invalid("genesis checkpoint at height %d must have no app hash and no proof", genesis)
		}
		return nil
	}
	if sc.Height < genesis || sc.Height%c.cfg.CheckpointInterval != 0 {
		return invalid("stable checkpoint at height %d is neither genesis (%d) nor a multiple of %d", sc.Height, genesis, c.cfg.CheckpointInterval)
	}
	if c.forgotten(sc.Height) {
		return nil
	}
	vals := c.sets.at(sc.Height)
	if len(sc.Proof) > vals.Size() {
		return invalid("stable checkpoint proof has %d checkpoints for %d validators", len(sc.Proof), vals.Size())
	}
	seen := make(map[int32]bool, len(sc.Proof))
	var power int64
	for i := range sc.Proof {
		cp := &sc.Proof[i]
		if err := c.checkCheckpointFields(cp); err != nil {
			return err
		}
		if cp.Height != sc.Height || !bytes.Equal(cp.AppHash, sc.AppHash) {
			return invalid("stable checkpoint proof for height %d holds a checkpoint for height %d or another digest", sc.Height, cp.Height)
		}
		if seen[cp.Validator] {
			return invalid("stable checkpoint proof holds two checkpoints of validator %d", cp.Validator)
		}
		seen[cp.Validator] = true
		power += vals.Power(cp.Validator)
	}
	if !vals.IsQuorum(power) {
		return invalid("stable checkpoint proof for height %d has power %d of %d; it needs more than 2/3", sc.Height, power, vals.TotalPower())
	}
	return nil
}

// checkPreparedCert validates one certificate of a VIEW-CHANGE's P set: a
// pre-prepare from the primary of its view and PREPAREs from distinct
// backups for the same (v, n, d) whose power together with the primary's
// exceeds 2/3 [§4.2, §4.4].
func (c *Core) checkPreparedCert(pc *consensus.PreparedCert, newView int32, stable int64) error {
	pp := &pc.PrePrepare
	vals := c.sets.at(pp.Height)
	if err := c.checkPrePrepareFields(pp, vals); err != nil {
		return err
	}
	n := pp.Height
	if n <= stable || n > stable+c.cfg.WatermarkWindow {
		return invalid("prepared certificate for sequence %d lies outside (%d, %d]", n, stable, stable+c.cfg.WatermarkWindow)
	}
	if pp.Round >= newView {
		return invalid("prepared certificate of view %d in a view change to view %d", pp.Round, newView)
	}
	if c.forgotten(n) {
		return nil
	}
	primary := pp.Proposer
	if !c.isPrimaryAt(pp.Round, n, primary) {
		return invalid("prepared certificate for (%d, %d) has a pre-prepare from %d, not the primary %d", pp.Round, n, pp.Proposer, c.primaryAt(pp.Round, n))
	}
	if len(pc.Prepares) > vals.Size() {
		return invalid("prepared certificate holds %d prepares for %d validators", len(pc.Prepares), vals.Size())
	}
	seen := make(map[int32]bool, len(pc.Prepares))
	power := vals.Power(primary)
	for i := range pc.Prepares {
		v := &pc.Prepares[i]
		if err := c.checkVoteFields(v, vals); err != nil {
			return err
		}
		if v.Type != consensus.Prevote || v.Height != n || v.Round != pp.Round || v.Value != pp.Value {
			return invalid("prepared certificate for (%d, %d) holds a vote for something else", pp.Round, n)
		}
		if v.Validator == primary || seen[v.Validator] {
			return invalid("prepared certificate for (%d, %d) counts validator %d twice or the primary", pp.Round, n, v.Validator)
		}
		seen[v.Validator] = true
		power += vals.Power(v.Validator)
	}
	if !vals.IsQuorum(power) {
		return invalid("prepared certificate for (%d, %d) has power %d of %d; it needs more than 2/3", pp.Round, n, power, vals.TotalPower())
	}
	return nil
}

// checkViewChange validates a VIEW-CHANGE completely [§4.4].
func (c *Core) checkViewChange(vc *consensus.ViewChange) error {
	if vc.View < 1 {
		return invalid("view change to view %d; views changed to start at 1", vc.View)
	}
	if vals := c.current(); !vals.Has(vc.Validator) {
		return invalid("view change signed by validator index %d; the set has %d validators", vc.Validator, vals.Size())
	}
	if err := c.checkStable(&vc.Stable); err != nil {
		return err
	}
	if int64(len(vc.Prepared)) > c.cfg.WatermarkWindow {
		return invalid("view change carries %d prepared certificates; the window holds %d", len(vc.Prepared), c.cfg.WatermarkWindow)
	}
	seen := make(map[int64]bool, len(vc.Prepared))
	for i := range vc.Prepared {
		pc := &vc.Prepared[i]
		if err := c.checkPreparedCert(pc, vc.View, vc.Stable.Height); err != nil {
			return err
		}
		if seen[pc.PrePrepare.Height] {
			return invalid("view change carries two certificates for sequence %d", pc.PrePrepare.Height)
		}
		seen[pc.PrePrepare.Height] = true
	}
	return nil
}

// checkCommit validates the COMMITs that justify deciding value at height:
// precommits of one view for it from distinct validators with more than 2/3
// of the power.
func (c *Core) checkCommit(height int64, value consensus.ID, commit []consensus.Vote) error {
	vals := c.sets.at(height)
	if len(commit) == 0 || len(commit) > vals.Size() {
		return invalid("commit for height %d holds %d votes for %d validators", height, len(commit), vals.Size())
	}
	seen := make(map[int32]bool, len(commit))
	var power int64
	for i := range commit {
		v := &commit[i]
		if err := c.checkVoteFields(v, vals); err != nil {
			return err
		}
		if v.Type != consensus.Precommit || v.Height != height || v.Round != commit[0].Round || v.Value != value {
			return invalid("commit for height %d holds a vote that is not a precommit of view %d for the block", height, commit[0].Round)
		}
		if seen[v.Validator] {
			return invalid("commit for height %d holds two votes of validator %d", height, v.Validator)
		}
		seen[v.Validator] = true
		power += vals.Power(v.Validator)
	}
	if !vals.IsQuorum(power) {
		return invalid("commit for height %d has power %d of %d; it needs more than 2/3", height, power, vals.TotalPower())
	}
	return nil
}
