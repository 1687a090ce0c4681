package rpc

import (
	"errors"
	"fmt"

	"github.com/cometbft/cometbft/libs/pubsub/query"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/indexer"
)

var (
	errTxIndexOff    = errors.New("transaction indexing is disabled")
	errBlockIndexOff = errors.New("block indexing is disabled")
)

func (r *routes) tx(_ *rpctypes.Context, hash []byte, prove bool) (*coretypes.ResultTx, error) {
	if r.env.TxIndexer == nil {
		return nil, errTxIndexOff
	}
	res, err := r.env.TxIndexer.GetTx(hash)
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, fmt.Errorf("tx (%X) not found", hash)
	}
	proof, err := r.txProof(prove, res.Height, res.Index)
	if err != nil {
		return nil, err
	}
	return &coretypes.ResultTx{
		Hash: hash, Height: res.Height, Index: res.Index, TxResult: res.Result, Tx: res.Tx, Proof: proof,
	}, nil
}

// txProof is the Merkle proof that the index-th transaction is in the data
// hash of the block at height, when asked for.
func (r *routes) txProof(prove bool, height int64, index uint32) (types.TxProof, error) {
	if !prove {
		return types.TxProof{}, nil
	}
	block, err := r.env.Blocks.LoadBlock(height)
	if err != nil || block == nil {
		return types.TxProof{}, err
	}
	if int(index) >= len(block.Txs) {
		return types.TxProof{}, fmt.Errorf("the index says transaction %d of block %d, which has %d; rebuild the index", index, height, len(block.Txs))
	}
	return block.Txs.Proof(int(index)), nil
}

func parseQuery(s string) (*query.Query, error) {
	if len(s) > maxQueryLength {
		return nil, errors.New("maximum query length exceeded")
	}
	return query.New(s)
}

func (r *routes) txSearch(ctx *rpctypes.Context, q string, prove bool, pagePtr, perPagePtr *int, orderBy string) (*coretypes.ResultTxSearch, error) {
	if r.env.TxIndexer == nil {
		return nil, errTxIndexOff
	}
	parsed, err := parseQuery(q)
	if err != nil {
		return nil, err
	}
	desc, err := orderDescending(orderBy, false)
	if err != nil {
		return nil, err
	}
	size := perPage(perPagePtr)
	found, total, err := r.env.TxIndexer.SearchTxs(ctx.Context(), parsed, indexer.Page{Number: requestedPage(pagePtr), Size: size, Descending: desc})
	if err != nil {
		return nil, err
	}
	if _, err := checkPage(pagePtr, size, total); err != nil {
		return nil, err
	}
	txs := make([]*coretypes.ResultTx, 0, len(found))
	for _, res := range found {
		proof, err := r.txProof(prove, res.Height, res.Index)
		if err != nil {
			return nil, err
		}
		txs = append(txs, &coretypes.ResultTx{
			Hash: types.Tx(res.Tx).Hash(), Height: res.Height, Index: res.Index,
			TxResult: res.Result, Tx: res.Tx, Proof: proof,
		})
	}
	return &coretypes.ResultTxSearch{Txs: txs, TotalCount: total}, nil
}

func (r *routes) blockSearch(ctx *rpctypes.Context, q string, pagePtr, perPagePtr *int, orderBy string) (*coretypes.ResultBlockSearch, error) {
	if r.env.BlockIndexer == nil {
		return nil, errBlockIndexOff
	}
	parsed, err := parseQuery(q)
	if err != nil {
		return nil, err
	}
	desc, err := orderDescending(orderBy, true)
	if err != nil {
		return nil, err
	}
	size := perPage(perPagePtr)
	heights, total, err := r.env.BlockIndexer.SearchBlocks(ctx.Context(), parsed, indexer.Page{Number: requestedPage(pagePtr), Size: size, Descending: desc})
	if err != nil {
		return nil, err
	}
	if _, err := checkPage(pagePtr, size, total); err != nil {
		return nil, err
	}
	blocks := make([]*coretypes.ResultBlock, 0, len(heights))
	for _, h := range heights {
		res, err := r.blockAt(h)
		if err != nil {
			return nil, err
		}
		if res.Block != nil {
			blocks = append(blocks, res)
		}
	}
	return &coretypes.ResultBlockSearch{Blocks: blocks, TotalCount: total}, nil
}
