package node

import (
	"context"
	"fmt"
	"strings"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/abci"
	"github.com/bftnode/bftnode/config"
	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/internal/failpoint"
	"github.com/bftnode/bftnode/internal/home"
	"github.com/bftnode/bftnode/internal/version"
	"github.com/bftnode/bftnode/p2p"
	"github.com/bftnode/bftnode/rpc"
	"github.com/bftnode/bftnode/statesync"
)

// stateSyncDue tells whether the node restores a snapshot before it
// starts: [statesync] enable and no chain of its own yet (as CometBFT: no
// state beyond genesis, no blocks).
func (n *Node) stateSyncDue() (bool, error) {
	if !n.cfg.StateSync.Enable {
		return false, nil
	}
	st, ok, err := n.states.Load()
	if err != nil {
		return false, err
	}
	if due := (!ok || st.LastBlockHeight == 0) && n.blocks.Height() == 0; !due {
		n.log.Info("[statesync] enable is set, but the node has a chain of its own; starting from its stores",
			"height", max(st.LastBlockHeight, n.blocks.Height()))
		return false, nil
	}
	return true, nil
}

// stateSyncIfDue restores the app from a peer's snapshot, verified by the
// light client, and bootstraps the stores at its height; the engine then
// starts there. The p2p host it runs on serves only state sync and is
// stopped before the node's own starts. The stores are written only after
// the restored app checked out, so a node stopped earlier (even by kill
// -9) starts state sync over.
func (n *Node) stateSyncIfDue(ctx context.Context) error {
	due, err := n.stateSyncDue()
	if err != nil || !due {
		return err
	}
	c := n.cfg.StateSync
	log := n.log.With("module", "statesync")
	log.Info("state sync: the node has no state; restoring a snapshot from peers",
		"rpc_servers", strings.Join(c.RPCServers, ","), "trust_height", c.TrustHeight)
	sched, err := schedule(n.cfg.Consensus, n.genesis.InitialHeight)
	if err != nil {
		return err
	}
	host, err := n.newHost(sched.String(), *n.genesis.ConsensusParams)
	if err != nil {
		return err
	}
	stopRPC, err := n.serveWhileSyncing(ctx, host, sched)
	if err != nil {
		return err
	}
	defer stopRPC()
	provider, err := statesync.NewLightProvider(ctx, statesync.LightConfig{
		ChainID: n.genesis.ChainID, InitialHeight: n.genesis.InitialHeight, Servers: c.RPCServers,
		TrustHeight: c.TrustHeight, TrustHash: c.TrustHash, TrustPeriod: c.TrustPeriod,
	}, n.log.With("module", "light"))
	if err != nil {
		return fmt.Errorf("state sync: %w", err)
	}
	syncer := statesync.NewSyncer(statesync.Config{
		DiscoveryTime: c.DiscoveryTime, ChunkRequestTimeout: c.ChunkRequestTimeout, ChunkFetchers: c.ChunkFetchers,
	}, restoreApp{n.app}, hostNetwork{host}, provider, log)
	for _, ch := range []byte{p2p.ChannelSnapshot, p2p.ChannelChunk} {
		if err := host.Handle(ch, func(from p2p.ID, msg []byte) { syncer.Handle(string(from), msg) }); err != nil {
			return err
		}
	}
	host.OnPeer(nil, func(p p2p.PeerInfo) { syncer.PeerGone(string(p.ID)) })
	if err := host.Start(ctx); err != nil {
		return fmt.Errorf("p2p: %w", err)
	}
	began := time.Now()
	res, err := syncer.Run(ctx)
	host.Stop()
	if err != nil {
		return fmt.Errorf("state sync: %w", err)
	}
	failpoint.Hit(failpoint.StateSyncRestored)
	if err := n.blocks.SaveSyncedCommit(res.Commit); err != nil {
		return fmt.Errorf("state sync: %w", err)
	}
	failpoint.Hit(failpoint.StateSyncCommitSaved)
	if err := n.states.Bootstrap(res.State); err != nil {
		return fmt.Errorf("state sync: %w", err)
	}
	log.Info("state sync done; block-syncing from there", "height", res.State.LastBlockHeight, "took", time.Since(began).Round(time.Millisecond),
		"app_hash", fmt.Sprintf("%X", res.State.AppHash), "counters", syncer.Counters.Snapshot())
	return nil
}

// newHost builds (without starting it) the p2p host of a chain whose
// protocol schedule and consensus parameters are given.
func (n *Node) newHost(schedule string, params types.ConsensusParams) (*p2p.Host, error) {
	key, err := home.LoadNodeKey(n.cfg.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("loading the node key: %w", err)
	}
	host, err := p2p.New(n.hostConfig(schedule, params), key, n.log.With("module", "p2p"))
	if err != nil {
		return nil, fmt.Errorf("p2p: %w", err)
	}
	return host, nil
}

// hostConfig is the p2p host's configuration for a chain whose protocol
// schedule and consensus parameters are given.
func (n *Node) hostConfig(schedule string, params types.ConsensusParams) p2p.Config {
	var book string
	if n.cfg.P2P.PEX {
		book = n.cfg.AddrBookFile()
	}
	return p2p.Config{
		ListenAddr:       n.cfg.P2P.ListenAddress,
		ExternalAddr:     n.cfg.P2P.ExternalAddress,
		PersistentPeers:  splitList(n.cfg.P2P.PersistentPeers),
		PEX:              n.cfg.P2P.PEX,
		Seeds:            splitList(n.cfg.P2P.Seeds),
		SeedMode:         n.cfg.P2P.SeedMode,
		AddrBookPath:     book,
		AddrBookStrict:   n.cfg.P2P.AddrBookStrict,
		ChainID:          n.genesis.ChainID,
		Version:          version.Semver,
		Schedule:         schedule,
		Validator:        true,
		Channels:         p2p.DefaultChannels(int(max(params.Block.MaxBytes, types.MaxBlockSizeBytes/4)), n.cfg.Mempool.MaxTxBytes),
		MaxInboundPeers:  n.cfg.P2P.MaxNumInboundPeers,
		MaxOutboundPeers: n.cfg.P2P.MaxNumOutboundPeers,
		DialTimeout:      n.cfg.P2P.DialTimeout,
		RedialMin:        config.MinRedialPeriod,
		RedialMax:        n.cfg.P2P.PersistentPeersMaxDialPeriod,
		HandshakeTimeout: n.cfg.P2P.HandshakeTimeout,
	}
}

// restoreApp is the app as state sync restores it.
type restoreApp struct{ c *abci.Conns }

func (a restoreApp) OfferSnapshot(ctx context.Context, req *abcitypes.RequestOfferSnapshot) (*abcitypes.ResponseOfferSnapshot, error) {
	return a.c.Snapshot.OfferSnapshot(ctx, req)
}

func (a restoreApp) ApplySnapshotChunk(ctx context.Context, req *abcitypes.RequestApplySnapshotChunk) (*abcitypes.ResponseApplySnapshotChunk, error) {
	return a.c.Snapshot.ApplySnapshotChunk(ctx, req)
}

func (a restoreApp) Info(ctx context.Context, req *abcitypes.RequestInfo) (*abcitypes.ResponseInfo, error) {
	return a.c.Query.Info(ctx, req)
}

// hostNetwork adapts a p2p host to what state sync needs.
type hostNetwork struct{ h *p2p.Host }

func (w hostNetwork) Broadcast(ch byte, msg []byte) { w.h.Broadcast(ch, msg) }
func (w hostNetwork) Send(peer string, ch byte, msg []byte) bool {
	return w.h.Send(p2p.ID(peer), ch, msg)
}
func (w hostNetwork) Penalize(peer, reason string) { w.h.Penalize(p2p.ID(peer), reason) }

// serveWhileSyncing serves the RPC routes a state-syncing node can answer
// (health, status catching up at height 0, net_info, the store routes), so
// that monitoring and readiness checks see the node up during a restore
// that may take long, as CometBFT's do; the returned function stops the
// server before the node's own starts on the same address.
func (n *Node) serveWhileSyncing(ctx context.Context, host *p2p.Host, sched consensus.Schedule) (func(), error) {
	env := &rpc.Env{StateSyncing: true, Genesis: n.genesis, Blocks: n.blocks, States: n.states,
		P2P: rpcP2P{n, host}, Consensus: syncingConsensus{sched}}
	if pv, err := home.LoadPrivValidatorKey(n.cfg.PrivValidatorKeyFile(), n.cfg.PrivValidatorStateFile()); err == nil {
		env.PubKey = pv.Key.PubKey // a key that fails to load fails the start right after state sync
	}
	server, err := rpc.Start(ctx, n.cfg.RPC, env, n.log.With("module", "rpc"))
	if err != nil {
		return nil, fmt.Errorf("rpc: %w", err)
	}
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(sctx)
	}, nil
}

// syncingConsensus is consensus as the RPC shows it while state sync runs:
// nothing decides yet and the node is catching up.
type syncingConsensus struct{ sched consensus.Schedule }

func (syncingConsensus) IsCatchingUp() bool { return true }

func (c syncingConsensus) Protocol() (protocol, schedule string) {
	return c.sched.Protocol, c.sched.String()
}

func (c syncingConsensus) RoundState() rpc.RoundState {
	return rpc.RoundState{Protocol: c.sched.Protocol, Schedule: c.sched.String(), Votes: []rpc.RoundVotes{}}
}

func (syncingConsensus) PeerStates() []coretypes.PeerStateInfo { return []coretypes.PeerStateInfo{} }
