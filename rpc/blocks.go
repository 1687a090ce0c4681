package rpc

import (
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	"github.com/cometbft/cometbft/types"
)

func (r *routes) block(_ *rpctypes.Context, heightPtr *int64) (*coretypes.ResultBlock, error) {
	height, err := r.heightUpToLatest(heightPtr)
	if err != nil {
		return nil, err
	}
	return r.blockAt(height)
}

func (r *routes) blockAt(height int64) (*coretypes.ResultBlock, error) {
	block, err := r.env.Blocks.LoadBlock(height)
	if err != nil {
		return nil, err
	}
	meta, err := r.env.Blocks.LoadBlockMeta(height)
	if err != nil {
		return nil, err
	}
	if meta == nil {
		return &coretypes.ResultBlock{Block: block}, nil
	}
	return &coretypes.ResultBlock{BlockID: meta.BlockID, Block: block}, nil
}

// blockByHash, like headerByHash, knows only blocks up to latestHeight.
func (r *routes) blockByHash(_ *rpctypes.Context, hash []byte) (*coretypes.ResultBlock, error) {
	block, err := r.env.Blocks.LoadBlockByHash(hash)
	if err != nil {
		return nil, err
	}
	if shown, err := r.shown(block); err != nil || !shown {
		return &coretypes.ResultBlock{}, err
	}
	return r.blockAt(block.Height)
}

// shown tells whether the routes show block: it is stored and not above
// latestHeight.
func (r *routes) shown(block *types.Block) (bool, error) {
	if block == nil {
		return false, nil
	}
	latest, err := r.latestHeight()
	return err == nil && block.Height <= latest, err
}

func (r *routes) header(_ *rpctypes.Context, heightPtr *int64) (*coretypes.ResultHeader, error) {
	height, err := r.heightUpToLatest(heightPtr)
	if err != nil {
		return nil, err
	}
	meta, err := r.env.Blocks.LoadBlockMeta(height)
	if err != nil || meta == nil {
		return &coretypes.ResultHeader{}, err
	}
	return &coretypes.ResultHeader{Header: &meta.Header}, nil
}

// headerByHash takes HexBytes, as CometBFT's does, so that the URI form
// accepts the hash in hex.
func (r *routes) headerByHash(_ *rpctypes.Context, hash cmtbytes.HexBytes) (*coretypes.ResultHeader, error) {
	meta, err := r.env.Blocks.LoadBlockMetaByHash(hash)
	if err != nil || meta == nil {
		return &coretypes.ResultHeader{}, err
	}
	if latest, err := r.latestHeight(); err != nil || meta.Header.Height > latest {
		return &coretypes.ResultHeader{}, err
	}
	return &coretypes.ResultHeader{Header: &meta.Header}, nil
}

// commit returns the canonical commit of height (carried by the next
// block), or the commit this node saw for the last stored block, which is
// not canonical yet.
func (r *routes) commit(_ *rpctypes.Context, heightPtr *int64) (*coretypes.ResultCommit, error) {
	height, err := r.heightUpToLatest(heightPtr)
	if err != nil {
		return nil, err
	}
	stored := r.env.Blocks.Height()
	meta, err := r.env.Blocks.LoadBlockMeta(height)
	if err != nil || meta == nil {
		return nil, err
	}
	header := meta.Header
	if height >= stored {
		commit, err := r.env.Blocks.LoadSeenCommit(height)
		if err != nil {
			return nil, err
		}
		return coretypes.NewResultCommit(&header, commit, false), nil
	}
	commit, err := r.env.Blocks.LoadBlockCommit(height)
	if err != nil {
		return nil, err
	}
	return coretypes.NewResultCommit(&header, commit, true), nil
}

func (r *routes) blockResults(_ *rpctypes.Context, heightPtr *int64) (*coretypes.ResultBlockResults, error) {
	height, err := r.heightUpToLatest(heightPtr)
	if err != nil {
		return nil, err
	}
	resp, err := r.env.States.LoadFinalizeBlockResponse(height)
	if err != nil {
		return nil, err
	}
	return &coretypes.ResultBlockResults{
		Height:                height,
		TxsResults:            resp.TxResults,
		FinalizeBlockEvents:   resp.Events,
		ValidatorUpdates:      resp.ValidatorUpdates,
		ConsensusParamUpdates: resp.ConsensusParamUpdates,
		AppHash:               resp.AppHash,
	}, nil
}

func (r *routes) validators(_ *rpctypes.Context, heightPtr *int64, pagePtr, perPagePtr *int) (*coretypes.ResultValidators, error) {
	height, err := r.heightUpToNext(heightPtr)
	if err != nil {
		return nil, err
	}
	vals, err := r.env.States.LoadValidators(height)
	if err != nil {
		return nil, err
	}
	total := len(vals.Validators)
	size := perPage(perPagePtr)
	page, err := checkPage(pagePtr, size, total)
	if err != nil {
		return nil, err
	}
	skip := (page - 1) * size
	list := vals.Validators[skip : skip+min(size, total-skip)]
	return &coretypes.ResultValidators{BlockHeight: height, Validators: list, Count: len(list), Total: total}, nil
}

func (r *routes) consensusParams(_ *rpctypes.Context, heightPtr *int64) (*coretypes.ResultConsensusParams, error) {
	height, err := r.heightUpToNext(heightPtr)
	if err != nil {
		return nil, err
	}
	params, err := r.env.States.LoadConsensusParams(height)
	if err != nil {
		return nil, err
	}
	return &coretypes.ResultConsensusParams{BlockHeight: height, ConsensusParams: params}, nil
}
