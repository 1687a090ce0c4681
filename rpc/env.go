package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	"github.com/cometbft/cometbft/libs/pubsub/query"
	"github.com/cometbft/cometbft/p2p"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/indexer"
	"github.com/bftnode/bftnode/mempool"
	"github.com/bftnode/bftnode/store"
)

// Env is what the routes read. Genesis, Blocks, States, EventBus, Mempool,
// App, P2P and Consensus are required (only Genesis, Blocks and States
// when Inspect is set); a nil TxIndexer or BlockIndexer means that
// indexing is off (`[tx_index] indexer = "null"`), and a nil Evidence
// refuses broadcast_evidence.
type Env struct {
	// Inspect serves only the routes that read the stores (inspectRoutes),
	// for `bftnode inspect` on a node that is not running: no consensus,
	// mempool, application or peers are there to ask.
	Inspect bool
	// StateSyncing serves the routes a node can answer while it restores
	// a snapshot before its chain starts (syncingRoutes): health, status
	// (catching up, at height 0), net_info and the store routes, as
	// CometBFT serves them then. Mempool, App and EventBus are not needed.
	StateSyncing bool

	Genesis  *types.GenesisDoc
	Blocks   *store.BlockStore
	States   *store.StateStore
	EventBus *types.EventBus // started; the node publishes, the routes subscribe

	TxIndexer    TxIndexer
	BlockIndexer BlockIndexer

	Mempool   Mempool
	App       App
	P2P       P2P
	Consensus Consensus
	Evidence  EvidencePool

	// PubKey is this node's validator key, shown by status; nil for a node
	// without one.
	PubKey crypto.PubKey

	// TxInterest, when set, counts the subscriptions that may receive Tx
	// events, for the publisher to skip them when there are none.
	TxInterest *TxInterest
}

func (env *Env) check() error {
	switch {
	case env == nil:
		return errors.New("the RPC server needs its environment")
	case env.Genesis == nil:
		return errors.New("the RPC environment has no genesis document")
	case env.Blocks == nil || env.States == nil:
		return errors.New("the RPC environment needs the block store and the state store")
	case env.Inspect:
		return nil
	case env.StateSyncing && (env.P2P == nil || env.Consensus == nil):
		return errors.New("the RPC environment of a state-syncing node needs p2p and consensus")
	case env.StateSyncing:
		return nil
	case env.EventBus == nil:
		return errors.New("the RPC environment has no event bus")
	case env.Mempool == nil || env.App == nil || env.P2P == nil || env.Consensus == nil:
		return errors.New("the RPC environment needs the mempool, the app connection, p2p and consensus")
	}
	return nil
}

// TxIndexer answers tx and tx_search (*indexer.Indexer).
type TxIndexer interface {
	// GetTx returns the indexed transaction with hash, nil if none.
	GetTx(hash []byte) (*abci.TxResult, error)
	// SearchTxs returns one page of the transactions matching q and how
	// many match in all.
	SearchTxs(ctx context.Context, q *query.Query, pg indexer.Page) ([]*abci.TxResult, int, error)
}

// BlockIndexer answers block_search (*indexer.Indexer).
type BlockIndexer interface {
	// SearchBlocks returns one page of the heights of the blocks matching q
	// and how many match in all.
	SearchBlocks(ctx context.Context, q *query.Query, pg indexer.Page) ([]int64, int, error)
}

// Mempool is the node's mempool, for the broadcast and unconfirmed routes.
type Mempool interface {
	// CheckTxAsync submits tx and returns without waiting for the app or
	// the disk (see mempool.Mempool.CheckTxAsync). The mempool refuses tx
	// with an error when it decides alone: mempool.ErrTxInCache for a
	// duplicate (its text is the one CometBFT's clients expect),
	// mempool.ErrTxTooLarge, mempool.ErrMempoolIsFull. Otherwise the
	// outcome arrives once on the returned channel, which has room for it
	// so that nobody has to read it: broadcast_tx_async does not.
	CheckTxAsync(tx types.Tx) (<-chan mempool.CheckResult, error)
	// Size is the number of transactions in the mempool.
	Size() int
	// SizeBytes is their total size in bytes.
	SizeBytes() int64
	// Txs returns up to limit transactions in the order they would be
	// reaped into a block.
	Txs(limit int) types.Txs
	// Flush removes every transaction (unsafe_flush_mempool).
	Flush() error
}

// App is the app's query side, and a CheckTx that leaves the mempool
// alone (check_tx). CometBFT's abci/client.Client has these methods.
type App interface {
	Query(ctx context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error)
	Info(ctx context.Context, req *abci.RequestInfo) (*abci.ResponseInfo, error)
	CheckTx(ctx context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error)
}

// P2P is the node's view of its network, for status, net_info and the
// unsafe dial routes.
type P2P interface {
	// NodeInfo is what the node tells peers about itself.
	NodeInfo() p2p.DefaultNodeInfo
	// Listening tells whether the node accepts peers and on which
	// addresses.
	Listening() (bool, []string)
	// Peers lists the connected peers.
	Peers() []coretypes.Peer
	// DialSeeds dials the seeds (id@host:port) in the background.
	DialSeeds(seeds []string) error
	// DialPeers dials peers (id@host:port) in the background; persistent
	// peers are redialled, unconditional ones ignore the peer limits and
	// private ones are never gossiped.
	DialPeers(peers []string, persistent, unconditional, private bool) error
}

// Consensus is the running protocol's state as the routes show it.
type Consensus interface {
	// IsCatchingUp is true while the node fetches blocks it missed.
	IsCatchingUp() bool
	// RoundState is where the protocol is (consensus_state and
	// dump_consensus_state).
	RoundState() RoundState
	// Protocol is the protocol deciding the next height and the chain's
	// protocol schedule (RoundState's Protocol and Schedule), cheaply.
	Protocol() (protocol, schedule string)
	// PeerStates is what the node knows of each peer's progress
	// (dump_consensus_state), with the peer's state in JSON.
	PeerStates() []coretypes.PeerStateInfo
}

// EvidencePool takes evidence of misbehaviour sent by clients.
type EvidencePool interface {
	// AddEvidence verifies ev against the chain and keeps it for a block.
	AddEvidence(ev types.Evidence) error
}

// RoundState is the round_state of consensus_state: the running protocol's
// position in the form CometBFT's simple round state has, so that tools
// reading that work. For PBFT the round is the view, the proposal is the
// primary's pre-prepare, prevotes are PREPAREs and precommits COMMITs.
type RoundState struct {
	// Protocol is "tendermint" or "pbft": the one deciding now.
	Protocol string `json:"protocol"`
	// Schedule is the chain's protocol schedule: one protocol, or
	// "first,second@height" when the chain switches at that height.
	Schedule string `json:"protocol_schedule"`
	// HeightRoundStep is "height/round/step" as CometBFT prints it, with
	// the step as a number (Tendermint: 1 new height ... 8 commit; PBFT:
	// the phase the replica is in).
	HeightRoundStep string `json:"height/round/step"`
	// StartTime is when the current round or view started.
	StartTime time.Time `json:"start_time"`
	// ProposalBlockHash is the block proposed in this round or view.
	ProposalBlockHash cmtbytes.HexBytes `json:"proposal_block_hash"`
	// LockedBlockHash is Tendermint's lockedValue; for PBFT the block
	// prepared in the highest view.
	LockedBlockHash cmtbytes.HexBytes `json:"locked_block_hash"`
	// ValidBlockHash is Tendermint's validValue; for PBFT the same as
	// LockedBlockHash.
	ValidBlockHash cmtbytes.HexBytes `json:"valid_block_hash"`
	// Votes summarises the votes of the current height per round or view.
	Votes []RoundVotes `json:"height_vote_set"`
	// Proposer is the round's proposer or the view's primary.
	Proposer RoundProposer `json:"proposer"`
	// Details holds what only one protocol has (PBFT: stable checkpoint
	// and watermarks; Tendermint: locked and valid rounds), as that
	// protocol's package documents it.
	Details json.RawMessage `json:"details,omitempty"`
}

// RoundVotes are the votes of one round or view: one entry per validator,
// in validator-set order, with CometBFT's bit-array summary.
type RoundVotes struct {
	Round              int32    `json:"round"`
	Prevotes           []string `json:"prevotes"`
	PrevotesBitArray   string   `json:"prevotes_bit_array"`
	Precommits         []string `json:"precommits"`
	PrecommitsBitArray string   `json:"precommits_bit_array"`
}

// RoundProposer names the proposer by address and index in the set.
type RoundProposer struct {
	Address cmtbytes.HexBytes `json:"address"`
	Index   int32             `json:"index"`
}
