package engine

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/store"
	"github.com/bftnode/bftnode/wire"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
)

// evidencePool keeps the duplicate votes the core reported until a block
// carries them to the application as Misbehavior. With a store, the
// evidence waiting for a block and the record of what blocks carried
// survive a restart, so evidence reaches the application exactly once.
type evidencePool struct {
	found     []consensus.Evidence
	pendingEv []types.Evidence
	done      map[string]bool // committed evidence when there is no store
	db        *store.EvidenceStore
	// announce passes evidence the core found to peers; may be nil.
	announce func(types.Evidence)
}

func newEvidencePool() *evidencePool { return &evidencePool{done: map[string]bool{}} }

// report takes an Evidence action. Conflicting votes become CometBFT
// DuplicateVoteEvidence once their height is decided (its block time is
// the evidence's timestamp); conflicting proposals have no CometBFT
// evidence type and are only counted and logged.
func (p *evidencePool) report(e *Engine, ev consensus.Evidence) {
	counters.evidence.Add(1)
	a, okA := ev.First.(*consensus.Vote)
	_, okB := ev.Second.(*consensus.Vote)
	if !okA || !okB {
		e.log.Warn("validator equivocated", "first", fmt.Sprintf("%T", ev.First), "signer", ev.First.Signer())
		return
	}
	e.log.Warn("validator signed conflicting votes", "validator", a.Validator, "height", a.Height, "round", a.Round, "type", a.Type)
	if len(p.found) < 1000 {
		p.found = append(p.found, ev)
	}
}

// pending returns evidence ready for a block, within maxBytes: neither
// committed nor expired.
func (p *evidencePool) pending(e *Engine, maxBytes int64) []types.Evidence {
	var out []types.Evidence
	var n int64
	for _, ev := range p.pendingEv {
		if e.evidenceExpired(ev, e.state.ConsensusParams.Evidence) || p.isCommitted(e, ev) {
			continue
		}
		size := int64(len(ev.Bytes()))
		if n+size > maxBytes {
			break
		}
		out = append(out, ev)
		n += size
	}
	return out
}

// promote turns reported conflicts at decided heights into evidence.
func (p *evidencePool) promote(e *Engine) {
	kept := p.found[:0]
	for _, ev := range p.found {
		a := ev.First.(*consensus.Vote)
		if a.Height > e.state.LastBlockHeight {
			kept = append(kept, ev)
			continue
		}
		dve, err := e.duplicateVoteEvidence(a, ev.Second.(*consensus.Vote))
		if err != nil {
			e.log.Info("cannot turn conflicting votes into evidence", "err", err)
			continue
		}
		if p.add(e, dve) && p.announce != nil {
			p.announce(dve)
		}
	}
	p.found = kept
}

// committed forgets evidence a block carried, durably when there is a
// store: the block is stored already, so a crash before this write is
// repaired at the next start (catchUpCommitted).
func (p *evidencePool) committed(block *types.Block) error {
	for _, ev := range block.Evidence.Evidence {
		p.done[string(ev.Hash())] = true
	}
	if p.db != nil {
		if err := p.db.MarkCommitted(block.Height, block.Evidence.Evidence); err != nil {
			return err
		}
	}
	kept := p.pendingEv[:0]
	for _, ev := range p.pendingEv {
		if !p.done[string(ev.Hash())] {
			kept = append(kept, ev)
		}
	}
	p.pendingEv = kept
	return nil
}

func (e *Engine) duplicateVoteEvidence(a, b *consensus.Vote) (*types.DuplicateVoteEvidence, error) {
	vals, err := e.p.States.LoadValidators(a.Height)
	if err != nil {
		return nil, err
	}
	meta, err := e.p.Blocks.LoadBlockMeta(a.Height)
	if err != nil || meta == nil {
		return nil, fmt.Errorf("block %d not stored: %v", a.Height, err)
	}
	va, err := cometVote(a, vals)
	if err != nil {
		return nil, err
	}
	vb, err := cometVote(b, vals)
	if err != nil {
		return nil, err
	}
	return types.NewDuplicateVoteEvidence(va, vb, meta.Header.Time, vals)
}

func cometVote(v *consensus.Vote, vals *types.ValidatorSet) (*types.Vote, error) {
	bid, err := wire.DecodeID(v.Value)
	if err != nil {
		return nil, err
	}
	addr, val := vals.GetByIndex(v.Validator)
	if val == nil {
		return nil, fmt.Errorf("no validator %d at height %d", v.Validator, v.Height)
	}
	return &types.Vote{
		Type: cmtproto.SignedMsgType(v.Type), Height: v.Height, Round: v.Round, BlockID: bid,
		Timestamp: v.Timestamp, ValidatorAddress: addr, ValidatorIndex: v.Validator, Signature: v.Signature,
	}, nil
}

// verifyBlock checks the evidence a proposed block carries: only duplicate
// votes, at decided heights, never committed before, signed by a validator
// of that height, with that height's block time and powers.
func (p *evidencePool) verifyBlock(e *Engine, block *types.Block) error {
	seen := map[string]bool{}
	for _, ev := range block.Evidence.Evidence {
		dve, ok := ev.(*types.DuplicateVoteEvidence)
		if !ok {
			return fmt.Errorf("evidence of type %T is not accepted", ev)
		}
		h := string(dve.Hash())
		if seen[h] {
			return errors.New("the same evidence twice")
		}
		if p.isCommitted(e, dve) {
			return errors.New("evidence already committed")
		}
		seen[h] = true
		if err := dve.ValidateBasic(); err != nil {
			return err
		}
		if e.evidenceExpired(dve, e.state.ConsensusParams.Evidence) {
			return fmt.Errorf("evidence of height %d has expired", dve.Height())
		}
		if dve.Height() > e.state.LastBlockHeight {
			return fmt.Errorf("evidence for height %d, which is not decided", dve.Height())
		}
		vals, err := e.p.States.LoadValidators(dve.Height())
		if err != nil {
			return err
		}
		meta, err := e.p.Blocks.LoadBlockMeta(dve.Height())
		if err != nil || meta == nil {
			return fmt.Errorf("block %d not stored: %v", dve.Height(), err)
		}
		if !dve.Timestamp.Equal(meta.Header.Time) {
			return fmt.Errorf("evidence time %v is not block %d's time %v", dve.Timestamp, dve.Height(), meta.Header.Time)
		}
		if err := verifyDuplicateVote(dve, e.state.ChainID, vals); err != nil {
			return err
		}
	}
	return nil
}

func verifyDuplicateVote(ev *types.DuplicateVoteEvidence, chainID string, vals *types.ValidatorSet) error {
	a, b := ev.VoteA, ev.VoteB
	_, val := vals.GetByAddress(a.ValidatorAddress)
	if val == nil {
		return fmt.Errorf("%X was not a validator at height %d", a.ValidatorAddress, a.Height)
	}
	switch {
	case a.Height != b.Height || a.Round != b.Round || a.Type != b.Type:
		return errors.New("the votes are for different slots")
	case !bytes.Equal(a.ValidatorAddress, b.ValidatorAddress):
		return errors.New("the votes are from different validators")
	case a.BlockID.Equals(b.BlockID):
		return errors.New("the votes are for the same block")
	case val.VotingPower != ev.ValidatorPower || vals.TotalVotingPower() != ev.TotalVotingPower:
		return errors.New("the evidence's voting powers do not match the validator set")
	}
	for _, v := range []*types.Vote{a, b} {
		if !val.PubKey.VerifySignature(types.VoteSignBytes(chainID, v.ToProto()), v.Signature) {
			return errors.New("a vote's signature does not verify")
		}
	}
	return nil
}

// evidenceSubmitted is evidence a client sent (broadcast_evidence), already
// verified.
type evidenceSubmitted struct{ ev *types.DuplicateVoteEvidence }

// AddEvidence verifies evidence a client submitted against the stored
// chain, stores it, and queues it for a block: once it returns, the
// evidence survives a restart. Safe from any goroutine.
func (e *Engine) AddEvidence(ev types.Evidence) error {
	dve, ok := ev.(*types.DuplicateVoteEvidence)
	if !ok {
		return fmt.Errorf("evidence of type %T is not accepted; only duplicate votes", ev)
	}
	if err := dve.ValidateBasic(); err != nil {
		return err
	}
	h := dve.Height()
	if h > e.p.Blocks.Height() {
		return fmt.Errorf("evidence for height %d, which is not decided yet", h)
	}
	vals, err := e.p.States.LoadValidators(h)
	if err != nil {
		return fmt.Errorf("validators of height %d: %w", h, err)
	}
	meta, err := e.p.Blocks.LoadBlockMeta(h)
	if err != nil || meta == nil {
		return fmt.Errorf("block %d is not stored (%v)", h, err)
	}
	if !dve.Timestamp.Equal(meta.Header.Time) {
		return fmt.Errorf("evidence time %v is not block %d's time %v", dve.Timestamp, h, meta.Header.Time)
	}
	if err := verifyDuplicateVote(dve, e.View().ChainID, vals); err != nil {
		return err
	}
	if err := e.checkEvidenceAge(dve); err != nil {
		return err
	}
	if err := e.storeSubmitted(dve); err != nil {
		return err
	}
	e.post(evidenceSubmitted{dve})
	return nil
}

// add keeps ev for a block unless it is known, storing it; it tells
// whether ev was new.
func (p *evidencePool) add(e *Engine, ev types.Evidence) bool {
	h := string(ev.Hash())
	if p.isCommitted(e, ev) {
		return false
	}
	for _, have := range p.pendingEv {
		if string(have.Hash()) == h {
			return false
		}
	}
	if p.db != nil {
		if err := p.db.AddPending(ev); err != nil {
			// Kept in memory: it may still make a block before a restart.
			e.log.Error("evidence not stored; it is lost if the node restarts before a block carries it", "err", err)
		}
	}
	p.pendingEv = append(p.pendingEv, ev)
	return true
}
