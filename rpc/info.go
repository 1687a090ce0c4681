package rpc

import (
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	"github.com/cometbft/cometbft/types"
)

// genesisChunkSize is the size of each genesis_chunked piece (CometBFT's).
const genesisChunkSize = 16 * 1024 * 1024

func (r *routes) health(*rpctypes.Context) (*coretypes.ResultHealth, error) {
	return &coretypes.ResultHealth{}, nil
}

func (r *routes) status(*rpctypes.Context) (*statusResult, error) {
	var sync coretypes.SyncInfo
	var earliestNano, latestNano int64
	height, err := r.latestHeight()
	if err != nil {
		return nil, err
	}
	base := r.env.Blocks.Base()
	if base > 0 {
		meta, err := r.env.Blocks.LoadBlockMeta(base)
		if err != nil {
			return nil, err
		}
		if meta != nil {
			sync.EarliestBlockHeight = meta.Header.Height
			sync.EarliestBlockHash = meta.BlockID.Hash
			sync.EarliestAppHash = meta.Header.AppHash
			earliestNano = meta.Header.Time.UnixNano()
		}
	}
	sync.LatestBlockHeight = height
	if height > 0 {
		meta, err := r.env.Blocks.LoadBlockMeta(height)
		if err != nil {
			return nil, err
		}
		if meta != nil {
			sync.LatestBlockHash = meta.BlockID.Hash
			sync.LatestAppHash = meta.Header.AppHash
			latestNano = meta.Header.Time.UnixNano()
		}
	}
	sync.EarliestBlockTime = time.Unix(0, earliestNano)
	sync.LatestBlockTime = time.Unix(0, latestNano)
	sync.CatchingUp = r.env.Consensus.IsCatchingUp()
	return &statusResult{
		NodeInfo:      newStatusNodeInfo(r.env.P2P.NodeInfo(), r.env.Consensus),
		SyncInfo:      sync,
		ValidatorInfo: r.validatorInfo(),
	}, nil
}

// validatorInfo is this node's validator key with its voting power at the
// height being decided (0 when it is not in the set).
func (r *routes) validatorInfo() coretypes.ValidatorInfo {
	pk := r.env.PubKey
	if pk == nil {
		return coretypes.ValidatorInfo{}
	}
	info := coretypes.ValidatorInfo{Address: pk.Address(), PubKey: pk}
	next, err := r.nextHeight()
	if err != nil {
		return info
	}
	if vals, err := r.env.States.LoadValidators(next); err == nil {
		if _, v := vals.GetByAddress(pk.Address()); v != nil {
			info.VotingPower = v.VotingPower
		}
	}
	return info
}

func (r *routes) netInfo(*rpctypes.Context) (*coretypes.ResultNetInfo, error) {
	listening, listeners := r.env.P2P.Listening()
	peers := r.env.P2P.Peers()
	if peers == nil {
		peers = []coretypes.Peer{}
	}
	return &coretypes.ResultNetInfo{
		Listening: listening,
		Listeners: listeners,
		NPeers:    len(peers),
		Peers:     peers,
	}, nil
}

// genesisChunks splits the genesis document's JSON into base64 pieces.
func genesisChunks(gen *types.GenesisDoc) ([]string, error) {
	data, err := cmtjson.Marshal(gen)
	if err != nil {
		return nil, fmt.Errorf("encoding the genesis document: %w", err)
	}
	var chunks []string
	for i := 0; i < len(data); i += genesisChunkSize {
		end := min(i+genesisChunkSize, len(data))
		chunks = append(chunks, base64.StdEncoding.EncodeToString(data[i:end]))
	}
	return chunks, nil
}

func (r *routes) genesis(*rpctypes.Context) (*coretypes.ResultGenesis, error) {
	if len(r.genChunks) > 1 {
		return nil, errors.New("genesis response is large, please use the genesis_chunked API instead")
	}
	return &coretypes.ResultGenesis{Genesis: r.env.Genesis}, nil
}

func (r *routes) genesisChunked(_ *rpctypes.Context, chunk uint) (*coretypes.ResultGenesisChunk, error) {
	if len(r.genChunks) == 0 {
		return nil, errors.New("service configuration error, there are no chunks")
	}
	if chunk > uint(len(r.genChunks)-1) {
		return nil, fmt.Errorf("there are %d chunks, %d is invalid", len(r.genChunks)-1, chunk)
	}
	return &coretypes.ResultGenesisChunk{
		TotalChunks: len(r.genChunks),
		ChunkNumber: int(chunk),
		Data:        r.genChunks[chunk],
	}, nil
}

// blockchainLimit is how many headers blockchain returns at most.
const blockchainLimit = 20

func (r *routes) blockchain(_ *rpctypes.Context, minHeight, maxHeight int64) (*coretypes.ResultBlockchainInfo, error) {
	latest, err := r.latestHeight()
	if err != nil {
		return nil, err
	}
	lo, hi, err := blockRange(r.env.Blocks.Base(), latest, minHeight, maxHeight)
	if err != nil {
		return nil, err
	}
	metas := []*types.BlockMeta{}
	for h := hi; h >= lo; h-- {
		meta, err := r.env.Blocks.LoadBlockMeta(h)
		if err != nil {
			return nil, err
		}
		metas = append(metas, meta)
	}
	return &coretypes.ResultBlockchainInfo{LastHeight: latest, BlockMetas: metas}, nil
}

// blockRange applies blockchain's rules: 0 means the lowest or highest
// stored height, the range is clipped to the store and to the top
// blockchainLimit heights.
func blockRange(base, height, lo, hi int64) (int64, int64, error) {
	if lo < 0 || hi < 0 {
		return lo, hi, errors.New("heights must be non-negative")
	}
	if lo == 0 {
		lo = 1
	}
	if hi == 0 {
		hi = height
	}
	hi = min(hi, height)
	lo = max(lo, base, hi-blockchainLimit+1)
	if lo > hi {
		return lo, hi, fmt.Errorf("min height %d can't be greater than max height %d", lo, hi)
	}
	return lo, hi, nil
}
