package engine

import (
	"context"

	"github.com/bftnode/bftnode/mempool"
	"github.com/bftnode/bftnode/p2p"
	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// The p2p channels the engine uses.
const (
	ChannelConsensus = p2p.ChannelConsensus
	ChannelBlocksync = p2p.ChannelBlocksync
)

// Network is what the engine needs of the peer-to-peer layer.
type Network interface {
	// Broadcast queues msg on channel ch for every connected peer.
	Broadcast(ch byte, msg []byte)
	// Send queues msg for one peer; false if it could not be queued.
	Send(peer string, ch byte, msg []byte) bool
	// Penalize records that peer sent something invalid.
	Penalize(peer string, reason string)
}

// App is the application's consensus connection.
type App interface {
	InitChain(context.Context, *abcitypes.RequestInitChain) (*abcitypes.ResponseInitChain, error)
	PrepareProposal(context.Context, *abcitypes.RequestPrepareProposal) (*abcitypes.ResponsePrepareProposal, error)
	ProcessProposal(context.Context, *abcitypes.RequestProcessProposal) (*abcitypes.ResponseProcessProposal, error)
	ExtendVote(context.Context, *abcitypes.RequestExtendVote) (*abcitypes.ResponseExtendVote, error)
	VerifyVoteExtension(context.Context, *abcitypes.RequestVerifyVoteExtension) (*abcitypes.ResponseVerifyVoteExtension, error)
	FinalizeBlock(context.Context, *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error)
	Commit(context.Context) (*abcitypes.ResponseCommit, error)
}

// AppInfo is the application's query connection, for the handshake.
type AppInfo interface {
	Info(context.Context, *abcitypes.RequestInfo) (*abcitypes.ResponseInfo, error)
}

// Mempool is what the engine needs of the mempool.
type Mempool interface {
	ReapMaxBytesMaxGas(maxBytes, maxGas int64) [][]byte
	// Lock keeps CheckTx away from the application while a block is
	// finalized and committed; Update runs under it.
	Lock(ctx context.Context) error
	Unlock()
	Update(height int64, txs [][]byte, results []*abcitypes.ExecTxResult) error
	TxsAvailable() <-chan struct{}
	Size() int
	// FirstLeftOut names the transaction a block left out although it
	// would have fit (PBFT's request timer runs on it); call after Update.
	FirstLeftOut(room mempool.BlockRoom) (mempool.TxKey, bool)
}
