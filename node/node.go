package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/bftnode/bftnode/abci"
	"github.com/bftnode/bftnode/config"
	"github.com/bftnode/bftnode/engine"
	"github.com/bftnode/bftnode/indexer"
	"github.com/bftnode/bftnode/internal/home"
	"github.com/bftnode/bftnode/mempool"
	"github.com/bftnode/bftnode/metrics"
	"github.com/bftnode/bftnode/p2p"
	"github.com/bftnode/bftnode/rpc"
	"github.com/bftnode/bftnode/state"
	"github.com/bftnode/bftnode/statesync"
	"github.com/bftnode/bftnode/store"
	"github.com/bftnode/bftnode/wal"
	"github.com/cometbft/cometbft/types"
)

// Node is an assembled node. Build it with New, run it with Run.
type Node struct {
	cfg     *config.Config
	log     *slog.Logger
	genesis *types.GenesisDoc

	blocks *store.BlockStore
	states *store.StateStore
	// evidence keeps the evidence pool across restarts.
	evidence *store.EvidenceStore
	wal      *wal.WAL
	app      *abci.Conns
	mempool  *mempool.Mempool
	gossip   *mempool.Gossip
	evgos    *evidenceGossip
	// snapshots serves the app's snapshots to state-syncing peers.
	snapshots *statesync.Server
	host      *p2p.Host
	engine    *engine.Engine
	bus       *types.EventBus
	// txInterest counts the RPC's subscriptions that may want Tx events.
	txInterest *rpc.TxInterest
	index      *indexer.Indexer // nil with [tx_index] indexer = "null"
	// indexPruner follows the block store's base with the index; nil
	// unless [tx_index] prune.
	indexPruner *indexPruner
	metrics     *metrics.Metrics // nil unless [instrumentation] prometheus

	closers []func() error
}

// Run builds the node described by cfg and runs it until ctx ends.
func Run(ctx context.Context, cfg *config.Config, logger *slog.Logger) error {
	n, err := New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer n.Close()
	return n.Run(ctx)
}

// New opens everything the node needs and brings the application up to
// the chain (the ABCI handshake). Nothing talks to peers yet.
func New(ctx context.Context, cfg *config.Config, logger *slog.Logger) (_ *Node, err error) {
	n := &Node{cfg: cfg, log: logger}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	if n.genesis, err = state.GenesisDocFromFile(cfg.GenesisFile()); err != nil {
		return nil, fmt.Errorf("reading %s: %w", cfg.GenesisFile(), err)
	}
	if err := n.openStorage(); err != nil {
		return nil, err
	}
	appOpts := []abci.Option{abci.WithKVStoreDir(filepath.Join(cfg.DBDir(), "kvstore")),
		abci.WithKVStoreSnapshots(cfg.KVStore.SnapshotInterval, cfg.KVStore.SnapshotKeepRecent)}
	if n.app, err = abci.Connect(ctx, cfg.ProxyApp, logger.With("module", "abci"), appOpts...); err != nil {
		return nil, fmt.Errorf("connecting to the application (proxy_app %q): %w", cfg.ProxyApp, err)
	}
	n.closers = append(n.closers, n.app.Close)
	if err := n.stateSyncIfDue(ctx); err != nil {
		return nil, err
	}
	if err := n.buildEngine(); err != nil {
		return nil, err
	}
	if err := n.engine.Handshake(ctx); err != nil {
		return nil, err
	}
	if n.index != nil {
		if _, err := n.index.Recover(n.blocks, n.states); err != nil {
			return nil, fmt.Errorf("catching up the transaction index: %w", err)
		}
	}
	if err := n.buildMempool(ctx); err != nil {
		return nil, err
	}
	return n, n.buildHost()
}

func (n *Node) openStorage() (err error) {
	dir := n.cfg.DBDir()
	if n.blocks, err = store.OpenBlockStore(filepath.Join(dir, "blockstore.db")); err != nil {
		return fmt.Errorf("opening the block store: %w", err)
	}
	n.closers = append(n.closers, n.blocks.Close)
	if n.states, err = store.OpenStateStore(filepath.Join(dir, "state.db")); err != nil {
		return fmt.Errorf("opening the state store: %w", err)
	}
	n.closers = append(n.closers, n.states.Close)
	if n.evidence, err = store.OpenEvidenceStore(filepath.Join(dir, "evidence.db")); err != nil {
		return fmt.Errorf("opening the evidence store: %w", err)
	}
	n.closers = append(n.closers, n.evidence.Close)
	w, report, err := wal.Open(filepath.Join(dir, "cs.wal"), wal.Options{})
	if err != nil {
		return fmt.Errorf("opening the write-ahead log: %w", err)
	}
	if report.BytesCut > 0 {
		n.log.Warn("cut off a torn write-ahead log tail", "file", report.TornFile, "offset", report.TornOffset,
			"bytes", report.BytesCut, "reason", report.TornReason)
	}
	n.wal = w
	n.closers = append(n.closers, w.Close)
	if n.cfg.TxIndex.Indexer != "null" {
		if n.index, err = indexer.Open(filepath.Join(dir, "tx_index.db")); err != nil {
			return fmt.Errorf("opening the transaction index: %w", err)
		}
		if n.index.Rebuilt {
			n.log.Warn("the transaction index was written in an older layout; dropped it to index the stored blocks again")
		}
		n.closers = append(n.closers, n.index.Close)
		if n.cfg.TxIndex.Prune {
			n.indexPruner = newIndexPruner(n.index, n.blocks.Base, n.log.With("module", "txindex"))
		}
	}
	return nil
}

func (n *Node) buildEngine() error {
	factory, err := coreFactory(n.cfg.Consensus)
	if err != nil {
		return err
	}
	sched, err := schedule(n.cfg.Consensus, n.genesis.InitialHeight)
	if err != nil {
		return err
	}
	pv, err := home.LoadPrivValidatorKey(n.cfg.PrivValidatorKeyFile(), n.cfg.PrivValidatorStateFile())
	if err != nil {
		return fmt.Errorf("loading the validator key: %w", err)
	}
	n.txInterest = rpc.NewTxInterest()
	n.bus = types.NewEventBus()
	n.bus.SetLogger(abci.CometLogger(n.log.With("module", "events")))
	if err := n.bus.Start(); err != nil {
		return err
	}
	n.closers = append(n.closers, n.bus.Stop)
	parts := engine.Parts{
		Genesis: n.genesis, Blocks: n.blocks, States: n.states, WAL: n.wal,
		App: n.app.Consensus, AppInfo: n.app.Query, Net: &network{n: n}, EventBus: n.bus,
		WantTxEvents: n.txInterest.Wanted,
	}
	if n.index != nil {
		parts.Listeners = append(parts.Listeners, func(b engine.ExecutedBlock) {
			if err := n.index.Index(b.Block.Height, b.Block.Txs, b.Resp); err != nil {
				n.log.Error("indexing a block", "height", b.Block.Height, "err", err)
			}
			if n.indexPruner != nil {
				n.indexPruner.poke()
			}
		})
	}
	if n.cfg.Instrumentation.Prometheus {
		n.metrics = metrics.New(n.cfg.Instrumentation.Namespace, n.genesis.ChainID, n.metricSources())
		parts.Listeners = append(parts.Listeners, func(b engine.ExecutedBlock) {
			n.metrics.BlockExecuted(b.Block, b.LastValidators, b.Took)
		})
	}
	n.engine, err = engine.New(engine.Config{
		Schedule:  sched,
		NewCore:   factory,
		Protocols: protocols,
		Describe:  describeCore,
		Key:       pv.Key.PrivKey,
		Logger:    n.log.With("module", "consensus"),
	}, parts)
	if err != nil {
		return err
	}
	return n.engine.UseEvidenceStore(n.evidence, n.announceEvidence)
}

func (n *Node) buildMempool(ctx context.Context) (err error) {
	mc := mempool.DefaultConfig()
	c := n.cfg.Mempool
	mc.Size, mc.MaxTxsBytes, mc.MaxTxBytes, mc.CacheSize, mc.Recheck = c.Size, c.MaxTxsBytes, c.MaxTxBytes, c.CacheSize, c.Recheck
	if mc.Committed, err = recentTxs(n.blocks, mc.CacheSize, recentBlocksScanned); err != nil {
		return err
	}
	n.mempool, err = mempool.New(mc, n.app.Mempool, filepath.Join(n.cfg.DBDir(), "mempool.db"), n.log.With("module", "mempool"))
	if err != nil {
		return fmt.Errorf("opening the mempool: %w", err)
	}
	n.closers = append(n.closers, n.mempool.Close)
	n.engine.SetMempool(n.mempool)
	return n.engine.CatchUpMempool(ctx, n.mempool.Height())
}

// recentBlocksScanned bounds how far back a start looks for committed
// transactions to seed the mempool's cache with.
const recentBlocksScanned = 1000

// recentTxs returns up to limit transactions of the latest blocks (at most
// maxBlocks of them), oldest first.
func recentTxs(blocks *store.BlockStore, limit int, maxBlocks int64) ([][]byte, error) {
	var newestFirst [][][]byte
	n := 0
	for h := blocks.Height(); h >= max(blocks.Base(), 1) && h > blocks.Height()-maxBlocks && n < limit; h-- {
		meta, err := blocks.LoadBlockMeta(h)
		if err != nil {
			return nil, fmt.Errorf("reading block %d for the mempool cache: %w", h, err)
		}
		if meta == nil || meta.NumTxs == 0 {
			continue
		}
		block, err := blocks.LoadBlock(h)
		if err != nil || block == nil {
			return nil, fmt.Errorf("reading block %d for the mempool cache: %v", h, err)
		}
		newestFirst = append(newestFirst, block.Txs.ToSliceOfBytes())
		n += len(block.Txs)
	}
	txs := make([][]byte, 0, n)
	for i := len(newestFirst) - 1; i >= 0; i-- {
		txs = append(txs, newestFirst[i]...)
	}
	return txs, nil
}

func (n *Node) buildHost() error {
	var err error
	if n.host, err = n.newHost(n.engine.View().Schedule.String(), n.engine.State().ConsensusParams); err != nil {
		return err
	}
	n.gossip, err = mempool.NewGossip(n.mempool, mempool.DefaultGossipConfig(), n.sendTxs)
	if err != nil {
		return err
	}
	// Until it knows it is caught up, a node holds back the transactions
	// it had: some may be in blocks it has not executed yet (SetBehind).
	n.gossip.SetBehind(func() bool {
		v := n.engine.View()
		return !v.PeersHeard || v.CatchingUp
	})
	n.evgos = newEvidenceGossip(n.engine, n.host, n.log.With("module", "evidence"))
	n.snapshots = statesync.NewServer(n.app.Snapshot, &network{n: n}, n.log.With("module", "statesync"))
	// Evidence that waited for a block across a restart goes to peers
	// again: the next proposer may be another node.
	for _, ev := range n.engine.PendingEvidence() {
		n.evgos.pass(ev)
	}
	handlers := map[byte]p2p.Handler{
		p2p.ChannelConsensus: func(from p2p.ID, msg []byte) { n.engine.HandleConsensus(string(from), msg) },
		p2p.ChannelBlocksync: func(from p2p.ID, msg []byte) { n.engine.HandleBlocksync(string(from), msg) },
		p2p.ChannelMempool:   n.receiveTxs,
		p2p.ChannelEvidence:  n.evgos.receive,
		p2p.ChannelSnapshot:  func(from p2p.ID, msg []byte) { n.snapshots.Handle(string(from), msg) },
		p2p.ChannelChunk:     func(from p2p.ID, msg []byte) { n.snapshots.Handle(string(from), msg) },
	}
	for ch, h := range handlers {
		if err := n.host.Handle(ch, h); err != nil {
			return err
		}
	}
	n.host.OnPeer(
		func(p p2p.PeerInfo) {
			n.gossip.AddPeer(mempool.PeerID(p.ID))
			n.evgos.peerUp(p.ID)
		},
		func(p p2p.PeerInfo) {
			n.gossip.RemovePeer(mempool.PeerID(p.ID))
			n.engine.PeerGone(string(p.ID))
		},
	)
	return nil
}

// splitList splits a comma-separated config list, dropping empty entries.
func splitList(list string) []string {
	var out []string
	for _, p := range strings.Split(list, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Run starts the network and the engine and runs until ctx ends or one of
// them fails.
func (n *Node) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := n.host.Start(ctx); err != nil {
		return fmt.Errorf("p2p: %w", err)
	}
	defer n.host.Stop()
	go n.gossip.Run(ctx)
	if n.indexPruner != nil {
		defer n.indexPruner.start(ctx)()
	}
	if n.metrics != nil {
		addr, err := n.metrics.Serve(ctx, n.cfg.Instrumentation.PrometheusListenAddr, n.cfg.Instrumentation.MaxOpenConnections, n.log)
		if err != nil {
			return err
		}
		n.log.Info("serving metrics", "addr", addr.String())
	}
	server, err := n.startRPC(ctx)
	if err != nil {
		return fmt.Errorf("rpc: %w", err)
	}
	defer func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		_ = server.Shutdown(sctx)
	}()
	n.log.Info("node started", "protocol", n.cfg.Consensus.Protocol, "chain", n.genesis.ChainID,
		"height", n.engine.State().LastBlockHeight, "node_id", n.host.ID(), "p2p", n.host.ListenAddr())
	errs := make(chan error, 2)
	go func() { errs <- n.engine.Run(ctx) }()
	select {
	case err := <-errs:
		if err != nil {
			return fmt.Errorf("consensus engine: %w", err)
		}
		return nil
	case <-n.app.Failed():
		cancel()
		<-errs
		return fmt.Errorf("the application failed; halting so as not to commit without it: %w", n.app.Err())
	}
}

// metricSources lets the gauges read the node's live values. The mempool
// and host are built after the engine, so each source checks for them.
func (n *Node) metricSources() metrics.Sources {
	return metrics.Sources{
		MempoolSize: func() int {
			if n.mempool == nil {
				return 0
			}
			return n.mempool.Size()
		},
		MempoolSizeBytes: func() int64 {
			if n.mempool == nil {
				return 0
			}
			return n.mempool.SizeBytes()
		},
		Peers: func() int {
			if n.host == nil {
				return 0
			}
			return len(n.host.Peers())
		},
		Round:      func() int32 { return n.engine.View().Core.Round },
		Protocol:   func() string { return n.engine.View().Protocol },
		CatchingUp: func() bool { return n.engine.View().CatchingUp },
		Counters:   engine.Counters,
		PEXCounters: func() (uint64, uint64) {
			if n.host == nil {
				return 0, 0
			}
			c := n.host.Counters()
			return c.PEXDropped, c.AddrsRejected
		},
	}
}

// Close releases everything New opened, in reverse order.
func (n *Node) Close() error {
	var errs []error
	for i := len(n.closers) - 1; i >= 0; i-- {
		if err := n.closers[i](); err != nil {
			errs = append(errs, err)
		}
	}
	n.closers = nil
	return errors.Join(errs...)
}

// network adapts the p2p host to what the engine needs.
type network struct{ n *Node }

func (w *network) Broadcast(ch byte, msg []byte) { w.n.host.Broadcast(ch, msg) }
func (w *network) Send(peer string, ch byte, msg []byte) bool {
	return w.n.host.Send(p2p.ID(peer), ch, msg)
}
func (w *network) Penalize(peer, reason string) { w.n.host.Penalize(p2p.ID(peer), reason) }

// Mempool is the node's mempool (for RPC and tests).
func (n *Node) Mempool() *mempool.Mempool { return n.mempool }

// Engine is the node's consensus engine (for RPC and tests).
func (n *Node) Engine() *engine.Engine { return n.engine }

// App is the node's connections to the application.
func (n *Node) App() *abci.Conns { return n.app }
