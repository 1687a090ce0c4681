package engine

import (
	"fmt"
	"time"

	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/store"
)

// expireEvery is how many heights pass between sweeps of expired evidence
// from the store; between sweeps, expired evidence is skipped when read.
const expireEvery = 100

// UseEvidenceStore makes the pool durable: it loads the evidence that was
// waiting for a block, records the evidence of blocks stored before a
// crash cut the record short, and writes through from now on. announce
// hears of evidence the core found, to pass to peers (it may be nil).
// Call it after New and before Run.
func (e *Engine) UseEvidenceStore(db *store.EvidenceStore, announce func(types.Evidence)) error {
	p := e.evidence
	p.announce = announce
	if db == nil {
		return nil
	}
	p.db = db
	if err := e.catchUpCommitted(); err != nil {
		return err
	}
	pending, err := p.db.Pending()
	if err != nil {
		return err
	}
	for _, ev := range pending {
		if !p.isCommitted(e, ev) {
			p.pendingEv = append(p.pendingEv, ev)
		}
	}
	if len(p.pendingEv) > 0 {
		e.log.Info("evidence waiting for a block since before the restart", "count", len(p.pendingEv))
	}
	return nil
}

// catchUpCommitted records the evidence of stored blocks the evidence
// store has not seen: a crash between storing a block and recording its
// evidence, or a data directory from before the evidence store existed.
func (e *Engine) catchUpCommitted() error {
	marked, err := e.evidence.db.MarkedThrough()
	if err != nil {
		return err
	}
	for h := max(marked+1, e.p.Blocks.Base()); h <= e.p.Blocks.Height(); h++ {
		block, err := e.p.Blocks.LoadBlock(h)
		if err != nil {
			return fmt.Errorf("reading block %d to record its evidence: %w", h, err)
		}
		if block == nil {
			continue
		}
		if err := e.evidence.db.MarkCommitted(h, block.Evidence.Evidence); err != nil {
			return err
		}
	}
	return nil
}

// isCommitted says whether a stored block carried ev. A store that cannot
// answer counts as yes: leaving evidence out of a block is safe, carrying
// it twice punishes a validator twice.
func (p *evidencePool) isCommitted(e *Engine, ev types.Evidence) bool {
	if p.done[string(ev.Hash())] {
		return true
	}
	if p.db == nil {
		return false
	}
	yes, err := p.db.IsCommitted(ev.Hash())
	if err != nil {
		e.log.Error("cannot read the evidence store; evidence held back", "err", err)
		return true
	}
	return yes
}

// expire drops expired evidence from memory and, every expireEvery
// heights, from the store, committed records included.
func (p *evidencePool) expire(e *Engine) {
	params := e.state.ConsensusParams.Evidence
	kept := p.pendingEv[:0]
	for _, ev := range p.pendingEv {
		if e.evidenceExpired(ev, params) {
			e.log.Info("evidence expired before a block carried it", "height", ev.Height(), "hash", fmt.Sprintf("%X", ev.Hash()))
			continue
		}
		kept = append(kept, ev)
	}
	p.pendingEv = kept
	if p.db == nil || e.state.LastBlockHeight%expireEvery != 0 {
		return
	}
	n, err := p.db.DeleteExpired(func(h int64, at time.Time) bool {
		return expired(e.state.LastBlockHeight, e.state.LastBlockTime, h, at, params)
	})
	if err != nil {
		e.log.Error("deleting expired evidence", "err", err)
	} else if n > 0 {
		e.log.Debug("deleted expired evidence", "entries", n)
	}
}

// evidenceExpired applies expired at the chain's latest block.
func (e *Engine) evidenceExpired(ev types.Evidence, params types.EvidenceParams) bool {
	return expired(e.state.LastBlockHeight, e.state.LastBlockTime, ev.Height(), ev.Time(), params)
}

// expired is CometBFT's rule: evidence is too old once it is both more
// than max_age_num_blocks blocks and more than max_age_duration older than
// the latest block. Both must hold, so neither a burst of fast blocks nor
// a halted chain ages evidence out early.
func expired(lastHeight int64, lastTime time.Time, evHeight int64, evTime time.Time, params types.EvidenceParams) bool {
	return lastHeight-evHeight > params.MaxAgeNumBlocks && lastTime.Sub(evTime) > params.MaxAgeDuration
}

// checkEvidenceAge refuses evidence a client submitted that has expired
// at the latest block. Safe from any goroutine.
func (e *Engine) checkEvidenceAge(ev types.Evidence) error {
	v := e.View()
	params, err := e.p.States.LoadConsensusParams(v.LatestHeight + 1)
	if err != nil {
		return fmt.Errorf("consensus params of height %d: %w", v.LatestHeight+1, err)
	}
	if expired(v.LatestHeight, v.LatestBlockTime, ev.Height(), ev.Time(), params.Evidence) {
		return fmt.Errorf("evidence from height %d (created at %v) is too old; the chain is at height %d (%v) and evidence expires after %d blocks and %v",
			ev.Height(), ev.Time(), v.LatestHeight, v.LatestBlockTime, params.Evidence.MaxAgeNumBlocks, params.Evidence.MaxAgeDuration)
	}
	return nil
}

// PendingEvidence lists the evidence waiting for a block. Call it before
// Run only: afterwards the pool belongs to the driver.
func (e *Engine) PendingEvidence() []types.Evidence {
	return append([]types.Evidence(nil), e.evidence.pendingEv...)
}

// storeSubmitted writes verified evidence from a client or a peer to the
// store before it is queued, so a node stopped right after accepting it
// still has it. Committed evidence is not stored again. The store is set
// before Run and only read afterwards, so any goroutine may call this.
func (e *Engine) storeSubmitted(ev types.Evidence) error {
	db := e.evidence.db
	if db == nil {
		return nil
	}
	if done, err := db.IsCommitted(ev.Hash()); err != nil || done {
		return err
	}
	return db.AddPending(ev)
}
