package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	abciserver "github.com/cometbft/cometbft/abci/server"
	"github.com/spf13/cobra"

	"github.com/bftnode/bftnode/abci"
	"github.com/bftnode/bftnode/config"
)

// newAppCmd serves the built-in kvstore over an ABCI socket, so that a
// node can be backed by an application in another process without
// installing anything else (`bftnode localnet` uses it).
func newAppCmd() *cobra.Command {
	var address, dir string
	var snapshotInterval int64
	var snapshotKeep int
	var commitDelay time.Duration
	cmd := &cobra.Command{
		Use:   "app",
		Short: "Serve the built-in kvstore application over an ABCI socket",
		Long: "Serve CometBFT's example kvstore over the ABCI socket protocol at --address\n" +
			"(tcp://host:port or unix:///path), persisting under --dir (in memory if empty),\n" +
			"with state-sync snapshots every --snapshot-interval heights. --commit-delay makes\n" +
			"every Commit that much slower, to stand in for an application whose Commit writes\n" +
			"its stores to disk (a Cosmos SDK chain's takes milliseconds).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			app, closeApp, err := abci.NewKVStore(dir, snapshotInterval, snapshotKeep)
			if err != nil {
				return err
			}
			defer closeApp()
			srv := abciserver.NewSocketServer(address, abci.WithCommitDelay(app, commitDelay))
			cfg := config.DefaultConfig()
			if level, err := cmd.Flags().GetString(logLevelFlag); err == nil {
				cfg.LogLevel = level
			}
			logger, err := newLogger(cmd.ErrOrStderr(), cfg)
			if err != nil {
				return err
			}
			srv.SetLogger(abci.CometLogger(logger))
			if err := srv.Start(); err != nil {
				return fmt.Errorf("serving the kvstore at %s: %w", address, err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			<-ctx.Done()
			return srv.Stop()
		},
	}
	cmd.Flags().StringVar(&address, "address", "tcp://127.0.0.1:26658", "where to listen: tcp://host:port or unix:///path")
	cmd.Flags().StringVar(&dir, "dir", "", "directory of the kvstore's database (in memory if empty)")
	cmd.Flags().Int64Var(&snapshotInterval, "snapshot-interval", 0, "take a state-sync snapshot every this many heights (0: none)")
	cmd.Flags().IntVar(&snapshotKeep, "snapshot-keep-recent", 2, "how many of the latest snapshots to keep")
	cmd.Flags().DurationVar(&commitDelay, "commit-delay", 0, "make every Commit this much slower (0: none)")
	return cmd
}
