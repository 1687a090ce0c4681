package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/bftnode/bftnode/bench"
)

func newBenchCmd() *cobra.Command {
	cfg := bench.DefaultConfig()
	var jsonPath, chartPath string
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure a running network over CometBFT JSON-RPC: committed tx/s, latency, refused and lost txs",
		Long: "Send unique key=value transactions with broadcast_tx_sync from concurrent senders,\n" +
			"round robin over the given RPC endpoints, follow committed blocks on the first endpoint\n" +
			"and report committed tx/s, send-to-commit latency, refused and lost transactions.\n" +
			"Works against any CometBFT v0.38 compatible node, bftnode or CometBFT.\n\n" +
			"Example:\n\n" +
			"\tbftnode bench --endpoints http://127.0.0.1:26657,http://127.0.0.1:26667 --senders 128 --duration 20s",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg.Progress = cmd.ErrOrStderr()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			res, err := bench.Run(ctx, cfg)
			if res == nil {
				return err
			}
			bench.WriteSummary(cmd.OutOrStdout(), res)
			if jsonPath != "" {
				if err := res.WriteJSON(jsonPath); err != nil {
					return err
				}
			}
			if chartPath != "" {
				if err := bench.WriteChartFile(chartPath, cfg.Workload, []*bench.Result{res}); err != nil {
					return err
				}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&cfg.Endpoints, "endpoints", cfg.Endpoints, "RPC addresses of the nodes, comma-separated; blocks are followed on the first")
	f.IntVar(&cfg.Senders, "senders", cfg.Senders, "concurrent senders")
	f.IntVar(&cfg.TxSize, "tx-size", cfg.TxSize, "bytes per transaction")
	f.Float64Var(&cfg.Rate, "rate", 0, "transactions per second over all senders (0: as fast as the nodes answer)")
	f.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long to send")
	f.DurationVar(&cfg.Grace, "grace", cfg.Grace, "how long to wait after sending for acknowledged transactions to commit; those still missing are lost")
	f.DurationVar(&cfg.RequestTimeout, "request-timeout", cfg.RequestTimeout, "time limit of one broadcast")
	f.StringVar(&cfg.System, "system", cfg.System, "name of the system measured, for the report")
	f.StringVar(&cfg.Workload, "workload", cfg.Workload, "name of the workload, for the report")
	f.StringVar(&jsonPath, "json", "", "write the result as JSON to this file")
	f.StringVar(&chartPath, "chart", "", "write an SVG chart (latency over time, latency histogram) to this file")
	return cmd
}
