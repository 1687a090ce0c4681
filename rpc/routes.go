package rpc

import (
	"log/slog"

	rpcserver "github.com/cometbft/cometbft/rpc/jsonrpc/server"

	"github.com/bftnode/bftnode/config"
)

// routes holds what the route handlers share.
type routes struct {
	env       *Env
	cfg       config.RPCConfig
	logger    *slog.Logger
	genChunks []string
	conns     *connTracker
}

func newRoutes(env *Env, cfg config.RPCConfig, logger *slog.Logger, conns *connTracker) (*routes, error) {
	if err := env.check(); err != nil {
		return nil, err
	}
	chunks, err := genesisChunks(env.Genesis)
	if err != nil {
		return nil, err
	}
	return &routes{env: env, cfg: cfg, logger: logger, genChunks: chunks, conns: conns}, nil
}

// funcMap is every route with CometBFT's parameter names; the unsafe ones
// only when [rpc] unsafe is set.
func (r *routes) funcMap() map[string]*rpcserver.RPCFunc {
	m := map[string]*rpcserver.RPCFunc{
		"subscribe":       rpcserver.NewWSRPCFunc(r.subscribe, "query"),
		"unsubscribe":     rpcserver.NewWSRPCFunc(r.unsubscribe, "query"),
		"unsubscribe_all": rpcserver.NewWSRPCFunc(r.unsubscribeAll, ""),

		"health":               rpcserver.NewRPCFunc(r.health, ""),
		"status":               rpcserver.NewRPCFunc(r.status, ""),
		"net_info":             rpcserver.NewRPCFunc(r.netInfo, ""),
		"blockchain":           rpcserver.NewRPCFunc(r.blockchain, "minHeight,maxHeight", rpcserver.Cacheable()),
		"genesis":              rpcserver.NewRPCFunc(r.genesis, "", rpcserver.Cacheable()),
		"genesis_chunked":      rpcserver.NewRPCFunc(r.genesisChunked, "chunk", rpcserver.Cacheable()),
		"block":                rpcserver.NewRPCFunc(r.block, "height", rpcserver.Cacheable("height")),
		"block_by_hash":        rpcserver.NewRPCFunc(r.blockByHash, "hash", rpcserver.Cacheable()),
		"block_results":        rpcserver.NewRPCFunc(r.blockResults, "height", rpcserver.Cacheable("height")),
		"commit":               rpcserver.NewRPCFunc(r.commit, "height", rpcserver.Cacheable("height")),
		"header":               rpcserver.NewRPCFunc(r.header, "height", rpcserver.Cacheable("height")),
		"header_by_hash":       rpcserver.NewRPCFunc(r.headerByHash, "hash", rpcserver.Cacheable()),
		"check_tx":             rpcserver.NewRPCFunc(r.checkTx, "tx"),
		"tx":                   rpcserver.NewRPCFunc(r.tx, "hash,prove", rpcserver.Cacheable()),
		"tx_search":            rpcserver.NewRPCFunc(r.txSearch, "query,prove,page,per_page,order_by"),
		"block_search":         rpcserver.NewRPCFunc(r.blockSearch, "query,page,per_page,order_by"),
		"validators":           rpcserver.NewRPCFunc(r.validators, "height,page,per_page", rpcserver.Cacheable("height")),
		"dump_consensus_state": rpcserver.NewRPCFunc(r.dumpConsensusState, ""),
		"consensus_state":      rpcserver.NewRPCFunc(r.consensusState, ""),
		"consensus_params":     rpcserver.NewRPCFunc(r.consensusParams, "height", rpcserver.Cacheable("height")),
		"unconfirmed_txs":      rpcserver.NewRPCFunc(r.unconfirmedTxs, "limit"),
		"num_unconfirmed_txs":  rpcserver.NewRPCFunc(r.numUnconfirmedTxs, ""),

		"broadcast_tx_commit": rpcserver.NewRPCFunc(r.broadcastTxCommit, "tx"),
		"broadcast_tx_sync":   rpcserver.NewRPCFunc(r.broadcastTxSync, "tx"),
		"broadcast_tx_async":  rpcserver.NewRPCFunc(r.broadcastTxAsync, "tx"),

		"abci_query": rpcserver.NewRPCFunc(r.abciQuery, "path,data,height,prove"),
		"abci_info":  rpcserver.NewRPCFunc(r.abciInfo, "", rpcserver.Cacheable()),

		"broadcast_evidence": rpcserver.NewRPCFunc(r.broadcastEvidence, "evidence"),
	}
	if r.env.Inspect {
		return only(m, inspectRoutes)
	}
	if r.env.StateSyncing {
		return only(m, syncingRoutes)
	}
	if r.cfg.Unsafe {
		m["dial_seeds"] = rpcserver.NewRPCFunc(r.dialSeeds, "seeds")
		m["dial_peers"] = rpcserver.NewRPCFunc(r.dialPeers, "peers,persistent,unconditional,private")
		m["unsafe_flush_mempool"] = rpcserver.NewRPCFunc(r.unsafeFlushMempool, "")
	}
	return m
}

// inspectRoutes are the routes that read only the genesis and the stores
// (blocks, states, the index), the ones `bftnode inspect` serves as
// CometBFT's inspect does; every other method is not found there.
var inspectRoutes = []string{
	"health", "genesis", "genesis_chunked", "blockchain", "block", "block_by_hash",
	"block_results", "commit", "header", "header_by_hash", "validators",
	"consensus_params", "tx", "tx_search", "block_search",
}

// syncingRoutes are the routes a node serves while state sync restores a
// snapshot: enough for monitoring and readiness checks to see the node up
// and catching up, and the store routes, which answer once blocks are
// there; every other method is not found until the node starts its chain.
var syncingRoutes = append([]string{"status", "net_info"}, inspectRoutes...)

func only(all map[string]*rpcserver.RPCFunc, names []string) map[string]*rpcserver.RPCFunc {
	m := make(map[string]*rpcserver.RPCFunc, len(names))
	for _, name := range names {
		m[name] = all[name]
	}
	return m
}
