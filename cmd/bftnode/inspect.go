package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bftnode/bftnode/node"
)

// newInspectCmd serves a stopped node's stores over RPC, as CometBFT's
// inspect does: for looking at the blocks, results and state of a node
// that halted or will not start, without starting consensus.
func newInspectCmd(inherited *pflag.FlagSet) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inspect",
		Short: "Serve a stopped node's blocks, state and index over RPC, read-only",
		Long: "Serve the read-only RPC routes (block, block_results, commit, header,\n" +
			"validators, consensus_params, blockchain, tx, tx_search, block_search,\n" +
			"genesis, health) from the data directory of a node that is not\n" +
			"running, on [rpc] laddr. Nothing is decided, executed or sent to\n" +
			"peers, and the application is not contacted. Stop the node first:\n" +
			"its databases take one process at a time.",
		Args: cobra.NoArgs,
		RunE: runInspect,
	}
	addKeyFlags(cmd, inherited)
	return cmd
}

func runInspect(cmd *cobra.Command, _ []string) error {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("configuration of %s is invalid:\n%w", cfg.RootDir, err)
	}
	logger, err := newLogger(cmd.OutOrStdout(), cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return node.Inspect(ctx, cfg, logger)
}
