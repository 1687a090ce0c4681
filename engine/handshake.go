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
	appHeight, storeHeight := info.LastBlockHeight, e.p.Blocks.Height()
	e.log.Info("handshake", "app_height", appHeight, "app_hash", fmt.Sprintf("%X", info.LastBlockAppHash),
		"store_height", storeHeight, "state_height", e.state.LastBlockHeight)
	switch {
	case appHeight < 0:
		return fmt.Errorf("handshake: application reports a negative height %d", appHeight)
	case appHeight > storeHeight:
		return fmt.Errorf("handshake: the application is at height %d but this node's blocks end at %d; restore the node's data directory or reset the application", appHeight, storeHeight)
	case storeHeight > e.state.LastBlockHeight+1:
		return fmt.Errorf("handshake: the block store (height %d) is more than one block ahead of the chain state (height %d); the data directory is damaged", storeHeight, e.state.LastBlockHeight)
	}
	if appHeight == 0 {
		if err := e.initChain(ctx, info.AppVersion); err != nil {
			return err
		}
	}
	for h := max(appHeight+1, e.state.InitialHeight); h <= storeHeight; h++ {
		if err := e.replayBlock(ctx, h); err != nil {
			return err
		}
	}
	if appHeight == storeHeight && appHeight > 0 && !bytes.Equal(info.LastBlockAppHash, e.state.AppHash) {
		return fmt.Errorf("handshake: the application's hash at height %d is %X, the chain's is %X: the application's state diverged", appHeight, info.LastBlockAppHash, e.state.AppHash)
	}
	e.refreshVerifyContext()
	e.publish()
	return nil
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
	if _, err := e.p.App.Commit(ctx); err != nil {
		return fmt.Errorf("handshake: application Commit at height %d: %w", h, err)
	}
	return nil
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
