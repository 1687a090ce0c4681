package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/bftnode/bftnode/config"
	"github.com/bftnode/bftnode/indexer"
	"github.com/bftnode/bftnode/rpc"
	"github.com/bftnode/bftnode/state"
	"github.com/bftnode/bftnode/store"
)

// Inspect serves the read-only RPC routes over the data directory of a
// node that is not running, until ctx ends. It opens only the block
// store, the state store and the transaction index: no WAL (opening one
// may cut a torn tail), no application, no peers, so what it shows is
// exactly what the node left on disk.
func Inspect(ctx context.Context, cfg *config.Config, logger *slog.Logger) (err error) {
	genesis, err := state.GenesisDocFromFile(cfg.GenesisFile())
	if err != nil {
		return fmt.Errorf("reading %s: %w", cfg.GenesisFile(), err)
	}
	dir := cfg.DBDir()
	if _, err := os.Stat(filepath.Join(dir, "blockstore.db")); err != nil {
		return fmt.Errorf("nothing to inspect: %w; is %s the home of a node that has run?", err, cfg.RootDir)
	}
	env := &rpc.Env{Inspect: true, Genesis: genesis}
	var closers []func() error
	defer func() {
		for i := len(closers) - 1; i >= 0; i-- {
			err = errors.Join(err, closers[i]())
		}
	}()
	if env.Blocks, err = store.OpenBlockStore(filepath.Join(dir, "blockstore.db")); err != nil {
		return fmt.Errorf("opening the block store: %w", err)
	}
	closers = append(closers, env.Blocks.Close)
	if env.States, err = store.OpenStateStore(filepath.Join(dir, "state.db")); err != nil {
		return fmt.Errorf("opening the state store: %w", err)
	}
	closers = append(closers, env.States.Close)
	if cfg.TxIndex.Indexer != "null" {
		idx, err := indexer.Open(filepath.Join(dir, "tx_index.db"))
		if err != nil {
			return fmt.Errorf("opening the transaction index: %w", err)
		}
		closers = append(closers, idx.Close)
		env.TxIndexer, env.BlockIndexer = idx, idx
	}
	rpcCfg := cfg.RPC
	rpcCfg.PprofListenAddress = "" // a profile of a server reading a disk tells nothing about the node
	srv, err := rpc.Start(ctx, rpcCfg, env, logger)
	if err != nil {
		return err
	}
	logger.Info("inspecting a stopped node: read-only routes only", "home", cfg.RootDir,
		"rpc", srv.Addr(), "base", env.Blocks.Base(), "height", env.Blocks.Height())
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(stopCtx)
}
