package node

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtp2p "github.com/cometbft/cometbft/p2p"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"

	"github.com/bftnode/bftnode/consensus"
	bftversion "github.com/bftnode/bftnode/internal/version"
	"github.com/bftnode/bftnode/mempool"
	"github.com/bftnode/bftnode/p2p"
	"github.com/bftnode/bftnode/pbft"
	"github.com/bftnode/bftnode/rpc"
	"github.com/bftnode/bftnode/tendermint"
)

// rpcMempool adapts the mempool to the RPC routes. A route's submission
// returns as soon as the mempool has applied its own rules; the app's
// check and the write to disk follow, and only the routes that promise
// them (broadcast_tx_sync, broadcast_tx_commit) wait for them.
type rpcMempool struct{ mp *mempool.Mempool }

func (m rpcMempool) CheckTxAsync(tx types.Tx) (<-chan mempool.CheckResult, error) {
	return m.mp.CheckTxAsync(tx, "")
}

func (m rpcMempool) Size() int        { return m.mp.Size() }
func (m rpcMempool) SizeBytes() int64 { return m.mp.SizeBytes() }
func (m rpcMempool) Flush() error     { return m.mp.Flush() }
func (m rpcMempool) Txs(limit int) types.Txs {
	return toTxs(m.mp.Txs(limit))
}

// rpcApp gives the routes the query connection, and check_tx a CheckTx
// that leaves the mempool alone.
type rpcApp struct{ n *Node }

func (a rpcApp) Query(ctx context.Context, req *abcitypes.RequestQuery) (*abcitypes.ResponseQuery, error) {
	return a.n.app.Query.Query(ctx, req)
}

func (a rpcApp) Info(ctx context.Context, req *abcitypes.RequestInfo) (*abcitypes.ResponseInfo, error) {
	return a.n.app.Query.Info(ctx, req)
}

func (a rpcApp) CheckTx(ctx context.Context, req *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
	return a.n.app.Mempool.CheckTx(ctx, req)
}

// rpcP2P describes the node's network: host is the node's p2p host, or
// while state sync restores a snapshot the host it runs on.
type rpcP2P struct {
	n    *Node
	host *p2p.Host
}

func (r rpcP2P) NodeInfo() cmtp2p.DefaultNodeInfo {
	n := r.n
	app := n.genesis.ConsensusParams.Version.App // before the engine runs: state sync
	if n.engine != nil {
		app = n.engine.View().AppVersion
	}
	return cmtp2p.DefaultNodeInfo{
		ProtocolVersion: cmtp2p.NewProtocolVersion(version.P2PProtocol, version.BlockProtocol, app),
		DefaultNodeID:   cmtp2p.ID(r.host.ID()),
		ListenAddr:      r.host.ListenAddr(),
		Network:         n.genesis.ChainID,
		Version:         bftversion.Semver,
		Channels:        nodeChannels,
		Moniker:         n.cfg.Moniker,
		Other:           cmtp2p.DefaultNodeInfoOther{TxIndex: txIndexStatus(n.cfg.TxIndex.Indexer), RPCAddress: n.cfg.RPC.ListenAddress},
	}
}

// nodeChannels are the channels a node speaks, as node info lists them.
var nodeChannels = []byte{p2p.ChannelConsensus, p2p.ChannelBlocksync, p2p.ChannelMempool, p2p.ChannelEvidence,
	p2p.ChannelSnapshot, p2p.ChannelChunk, p2p.ChannelPEX}

func txIndexStatus(indexer string) string {
	if indexer == "null" {
		return "off"
	}
	return "on"
}

func (r rpcP2P) Listening() (bool, []string) {
	return true, []string{r.host.ListenAddr()}
}

func (r rpcP2P) Peers() []coretypes.Peer {
	var out []coretypes.Peer
	for _, p := range r.host.Peers() {
		host, _, _ := net.SplitHostPort(p.RemoteAddr)
		out = append(out, coretypes.Peer{
			NodeInfo: cmtp2p.DefaultNodeInfo{
				DefaultNodeID: cmtp2p.ID(p.ID), ListenAddr: p.ListenAddr, Network: r.n.genesis.ChainID, Version: p.Version,
				Channels: nodeChannels,
			},
			IsOutbound: p.Outbound,
			RemoteIP:   host,
		})
	}
	return out
}

func (r rpcP2P) DialSeeds(seeds []string) error { return r.host.Dial(seeds, false) }
func (r rpcP2P) DialPeers(peers []string, persistent, _, _ bool) error {
	return r.host.Dial(peers, persistent)
}

// rpcConsensus shows the engine's published view.
type rpcConsensus struct{ n *Node }

func (c rpcConsensus) IsCatchingUp() bool { return c.n.engine.View().CatchingUp }

func (c rpcConsensus) Protocol() (protocol, schedule string) {
	v := c.n.engine.View()
	return v.Protocol, v.Schedule.String()
}

func (c rpcConsensus) PeerStates() []coretypes.PeerStateInfo { return []coretypes.PeerStateInfo{} }

func (c rpcConsensus) RoundState() rpc.RoundState {
	v := c.n.engine.View()
	rs := rpc.RoundState{Protocol: v.Protocol, Schedule: v.Schedule.String(), Votes: []rpc.RoundVotes{}}
	step := stepNumber(v.Core.Step)
	rs.HeightRoundStep = fmt.Sprintf("%d/%d/%d", v.Core.Height, v.Core.Round, step)
	proposer := int32(-1)
	switch d := v.Details.(type) {
	case tendermint.RoundState:
		proposer = d.Proposer
		rs.ProposalBlockHash = blockHash(d.Proposal)
		rs.LockedBlockHash = blockHash(d.LockedValue)
		rs.ValidBlockHash = blockHash(d.ValidValue)
		rs.Votes = append(rs.Votes, tendermintVotes(d, v.Validators))
	case pbft.State:
		proposer = d.Primary
	}
	if v.Validators != nil && proposer >= 0 {
		if addr, _ := v.Validators.GetByIndex(proposer); addr != nil {
			rs.Proposer = rpc.RoundProposer{Address: addr, Index: proposer}
		}
	}
	if v.Details != nil {
		rs.Details, _ = json.Marshal(v.Details)
	}
	return rs
}

// stepNumber maps a core's step name to CometBFT's RoundStepType numbers
// (PBFT: 1 normal operation, 2 view change).
func stepNumber(step string) int {
	switch strings.ToLower(step) {
	case "new-height", "newheight", "wait", "commit-wait", "normal":
		return 1
	case "new-round", "newround", "view-change":
		return 2
	case "propose":
		return 3
	case "prevote":
		return 4
	case "prevote-wait":
		return 5
	case "precommit":
		return 6
	case "precommit-wait":
		return 7
	case "commit", "decided":
		return 8
	}
	return 0
}

func blockHash(id consensus.ID) []byte {
	if len(id) < 32 {
		return nil
	}
	return []byte(id)[:32]
}

// describeCore is the engine's Describe hook: each core's own state.
func describeCore(c consensus.Core) any {
	switch c := c.(type) {
	case *tendermint.Core:
		return c.RoundState()
	case *pbft.Core:
		return c.State()
	}
	return nil
}

// startRPC opens the indexer and serves the routes.
func (n *Node) startRPC(ctx context.Context) (*rpc.Server, error) {
	env := &rpc.Env{
		Genesis: n.genesis, Blocks: n.blocks, States: n.states, EventBus: n.bus,
		Mempool: rpcMempool{n.mempool}, App: rpcApp{n}, P2P: rpcP2P{n, n.host}, Consensus: rpcConsensus{n},
		Evidence: n.evgos, TxInterest: n.txInterest,
	}
	if n.index != nil {
		env.TxIndexer, env.BlockIndexer = n.index, n.index
	}
	if pv := n.engine.PubKey(); pv != nil {
		env.PubKey = pv
	}
	return rpc.Start(ctx, n.cfg.RPC, env, n.log.With("module", "rpc"))
}
