package engine

import (
	"bytes"
	"context"
	"fmt"

	"github.com/bftnode/bftnode/state"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"
)

// Handshake brings the application up to the node's chain, as CometBFT's
// handshake does: a fresh application gets InitChain; blocks the store
// holds and the application has not executed are replayed into it; a block
// stored but not executed (a crash in between) is executed. It must run
// before Run and before the mempool talks to the application.
func (e *Engine) Handshake(ctx context.Context) error {
	info, err := e.p.AppInfo.Info(ctx, &abcitypes.RequestInfo{
		Version: version.TMCoreSemVer, BlockVersion: version.BlockProtocol,
		P2PVersion: version.P2PProtocol, AbciVersion: version.ABCISemVer,
	})
	if err != nil {
		return fmt.Errorf("handshake: application Info: %w", err)
	}
	// A node state sync bootstrapped at height h holds no blocks up to h;
	// its chain starts with the app at h.
	appHeight, storeHeight := info.LastBlockHeight, max(e.p.Blocks.Height(), e.synced)
	e.log.Info("handshake", "app_height", appHeight, "app_hash", fmt.Sprintf("%X", info.LastBlockAppHash),
		"store_height", storeHeight, "state_height", e.state.LastBlockHeight)
	switch {
	case appHeight < 0:
		return fmt.Errorf("handshake: application reports a negative height %d", appHeight)
	case appHeight > storeHeight:
		return fmt.Errorf("handshake: the application is at height %d but this node's blocks end at %d; restore the node's data directory or reset the application "+
			"(after a state sync interrupted once the application had restored its snapshot: start again with [statesync] enable = true, and it starts over)", appHeight, storeHeight)
	case appHeight < e.synced:
		return fmt.Errorf("handshake: this node was bootstrapped by state sync at height %d and holds no blocks below it, "+
			"but the application is at height %d and cannot be replayed up to it; restore the application's data, "+
			"or reset the node and the application (bftnode unsafe-reset-all) and state-sync again", e.synced, appHeight)
	case storeHeight > e.state.LastBlockHeight+1:
		return fmt.Errorf("handshake: the block store (height %d) is more than one block ahead of the chain state (height %d); the data directory is damaged", storeHeight, e.state.LastBlockHeight)
	}
	if appHeight == 0 {
		if err := e.initChain(ctx, info.AppVersion); err != nil {
			return err
		}
	}
	if appHeight > 0 && appHeight == storeHeight && storeHeight == e.state.LastBlockHeight+1 {
		// The node saves a block's results with the state, before the
		// app's Commit; an app reporting the block while the state does
		// not has only run FinalizeBlock for it (some apps, like
		// CometBFT's example kvstore, report that height at once) and
		// cannot run it again.
		return fmt.Errorf("handshake: the application reports block %d, which it was never asked to commit; restart the application from its last committed state (or reset it: the node replays the chain into it)", appHeight)
	}
	for h := max(appHeight+1, e.state.InitialHeight); h <= storeHeight; h++ {
		if err := e.replayBlock(ctx, h); err != nil {
			return err
		}
	}
	if err := e.completeInterruptedCommit(ctx, appHeight, storeHeight, info.LastBlockAppHash); err != nil {
		return err
	}
	if appHeight == storeHeight && appHeight > 0 && !bytes.Equal(info.LastBlockAppHash, e.state.AppHash) {
		return fmt.Errorf("handshake: the application's hash at height %d is %X, the chain's is %X: the application's state diverged", appHeight, info.LastBlockAppHash, e.state.AppHash)
	}
	e.refreshVerifyContext()
	e.refreshView()
	return nil
}

// completeInterruptedCommit handles an app that outlived the node and
// reports the node's latest height although the node never saw its Commit
// return. An app that follows ABCI reports only committed heights, but
// some (CometBFT's example kvstore among them) report a height as soon as
// FinalizeBlock ran, with its state staged and not stored; left alone,
// that state would be lost while the app hash still matches the chain.
// The node records when it sends Commit: if it never sent it, the app can
// only have run FinalizeBlock and one Commit completes the block. If it
// did, the app may have committed, and a second Commit would break an app
// that follows ABCI, so the node takes the app at its word.
func (e *Engine) completeInterruptedCommit(ctx context.Context, appHeight, storeHeight int64, appHash []byte) error {
	committed, err := e.p.States.LastAppCommitted()
	if err != nil {
		return err
	}
	if !commitInterrupted(appHeight, storeHeight, e.state.LastBlockHeight, committed, bytes.Equal(appHash, e.state.AppHash)) {
		return nil
	}
	sent, err := e.p.States.LastCommitSent()
	if err != nil {
		return err
	}
	if sent >= appHeight {
		e.log.Warn("the node stopped while the application committed; taking its reported height as committed", "height", appHeight)
		return e.p.States.SaveAppCommitted(appHeight)
	}
	e.log.Warn("the application reports a height it was never asked to commit; committing it now", "height", appHeight)
	if _, err := e.p.App.Commit(ctx); err != nil {
		return fmt.Errorf("handshake: completing the application's Commit at height %d: %w", appHeight, err)
	}
	return e.p.States.SaveAppCommitted(appHeight)
}

// initChain calls InitChain with the genesis document; on a new chain the
// application's answer shapes the first state. appVersion is what the app
// reported in Info: as in CometBFT's handshake it becomes the chain's app
// version, which every header carries, unless InitChain's consensus
// params set another.
func (e *Engine) initChain(ctx context.Context, appVersion uint64) error {
	gen := e.p.Genesis
	vals := make([]abcitypes.ValidatorUpdate, 0, len(gen.Validators))
	for _, v := range gen.Validators {
		vals = append(vals, abcitypes.UpdateValidator(v.PubKey.Bytes(), v.Power, v.PubKey.Type()))
	}
	params := gen.ConsensusParams.ToProto()
	resp, err := e.p.App.InitChain(ctx, &abcitypes.RequestInitChain{
		Time: gen.GenesisTime, ChainId: gen.ChainID, InitialHeight: gen.InitialHeight,
		ConsensusParams: &params, Validators: vals, AppStateBytes: gen.AppState,
	})
	if err != nil {
		return fmt.Errorf("handshake: application InitChain: %w", err)
	}
	if e.state.LastBlockHeight > 0 {
		return nil // the chain exists; the application replays it from the start
	}
	genesis := e.state
	genesis.Version.Consensus.App = appVersion
	st, err := state.WithInitChain(genesis, resp)
	if err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	if err := e.p.States.Save(st); err != nil {
		return fmt.Errorf("handshake: saving the initial state: %w", err)
	}
	e.state = st
	return nil
}

// replayBlock feeds stored block h to the application. A block the chain
// state already includes is only re-executed by the application, and its
// app hash must match the one recorded; the block right after the state
// is executed for real.
func (e *Engine) replayBlock(ctx context.Context, h int64) error {
	block, err := e.p.Blocks.LoadBlock(h)
	if err != nil || block == nil {
		return fmt.Errorf("handshake: stored block %d cannot be read (%v)", h, err)
	}
	meta, err := e.p.Blocks.LoadBlockMeta(h)
	if err != nil || meta == nil {
		return fmt.Errorf("handshake: stored block %d has no meta (%v)", h, err)
	}
	if h == e.state.LastBlockHeight+1 {
		e.log.Info("executing a stored block", "height", h)
		_, err := e.applyBlock(ctx, block, meta.BlockID)
		return err
	}
	var lastVals *types.ValidatorSet
	if h > e.state.InitialHeight {
		if lastVals, err = e.p.States.LoadValidators(h - 1); err != nil {
			return fmt.Errorf("handshake: validators of height %d: %w", h-1, err)
		}
	}
	want, err := e.p.States.LoadFinalizeBlockResponse(h)
	if err != nil {
		return fmt.Errorf("handshake: recorded FinalizeBlock response of height %d: %w", h, err)
	}
	e.log.Info("replaying a block into the application", "height", h)
	resp, err := e.p.App.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{
		Hash: meta.BlockID.Hash, NextValidatorsHash: block.NextValidatorsHash, ProposerAddress: block.ProposerAddress,
		Height: h, Time: block.Time, DecidedLastCommit: e.lastCommitInfo(block, lastVals),
		Misbehavior: block.Evidence.Evidence.ToABCI(), Txs: block.Txs.ToSliceOfBytes(),
	})
	if err != nil {
		return fmt.Errorf("handshake: application FinalizeBlock at height %d: %w", h, err)
	}
	if !bytes.Equal(resp.AppHash, want.AppHash) {
		return fmt.Errorf("handshake: replaying block %d gave app hash %X, the chain recorded %X: the application is not deterministic or its state diverged", h, resp.AppHash, want.AppHash)
	}
	if err := e.p.States.SaveCommitSent(h); err != nil {
		return err
	}
	if _, err := e.p.App.Commit(ctx); err != nil {
		return fmt.Errorf("handshake: application Commit at height %d: %w", h, err)
	}
	return e.p.States.SaveAppCommitted(h)
}

// CatchUpMempool tells the mempool about blocks executed since it last
// heard (a crash between the application's Commit and the mempool update
// leaves their transactions stored in the mempool).
func (e *Engine) CatchUpMempool(ctx context.Context, mempoolHeight int64) error {
	for h := mempoolHeight + 1; h <= e.state.LastBlockHeight; h++ {
		block, err := e.p.Blocks.LoadBlock(h)
		if err != nil || block == nil {
			continue // pruned
		}
		resp, err := e.p.States.LoadFinalizeBlockResponse(h)
		if err != nil {
			return fmt.Errorf("mempool catch-up: %w", err)
		}
		if err := e.p.Mempool.Lock(ctx); err != nil {
			return err
		}
		err = e.p.Mempool.Update(h, block.Txs.ToSliceOfBytes(), resp.TxResults)
		e.p.Mempool.Unlock()
		if err != nil {
			return fmt.Errorf("mempool catch-up at height %d: %w", h, err)
		}
	}
	return nil
}

// commitInterrupted tells whether the app reports the node's latest
// executed height, with the chain's app hash, while the node never
// recorded the app's Commit for it.
func commitInterrupted(appHeight, storeHeight, stateHeight, committed int64, sameHash bool) bool {
	return appHeight > 0 && appHeight == storeHeight && appHeight == stateHeight && committed < appHeight && sameHash
}
