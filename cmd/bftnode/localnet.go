package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/bftnode/bftnode/internal/localnet"
)

func newLocalnetCmd() *cobra.Command {
	o := localnet.Options{}
	cmd := &cobra.Command{
		Use:   "localnet",
		Short: "Run a network of validators on this machine, with a live status line",
		Long: "Generate a network of validators on 127.0.0.1 (ports from --base-port, 10 per node),\n" +
			"start each with its own built-in kvstore application process over a unix socket,\n" +
			"send a light transaction load and show the chain's progress. Ctrl-C stops everything.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Dir == "" {
				dir, err := os.MkdirTemp("", "bftnode-localnet-")
				if err != nil {
					return err
				}
				o.Dir = dir
			}
			bin, err := os.Executable()
			if err != nil {
				return fmt.Errorf("finding the bftnode executable: %w", err)
			}
			o.Binary, o.Out = bin, cmd.OutOrStdout()
			if o.SwitchHeight > 0 {
				o.SwitchProtocol = otherProtocol(o.Protocol)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return localnet.Run(ctx, o)
		},
	}
	cmd.Flags().IntVar(&o.Validators, "validators", 4, "number of validators")
	cmd.Flags().StringVar(&o.Protocol, "protocol", "tendermint", "consensus protocol: tendermint or pbft")
	cmd.Flags().Int64Var(&o.SwitchHeight, "switch-height", 0, "hand the chain to the other protocol at this height (0: never)")
	cmd.Flags().StringVar(&o.Dir, "dir", "", "directory for the nodes' homes (must be empty; default a new temporary directory)")
	cmd.Flags().IntVar(&o.BasePort, "base-port", 46600, "first port; node i uses base+10i (p2p), +1 (rpc), +2 (app), +3 (metrics)")
	cmd.Flags().IntVar(&o.Rate, "rate", 20, "transactions per second to send (0 sends none)")
	return cmd
}

// otherProtocol is the protocol a localnet switches to.
func otherProtocol(p string) string {
	if p == "pbft" {
		return "tendermint"
	}
	return "pbft"
}
