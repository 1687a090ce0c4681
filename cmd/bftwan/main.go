// Command bftwan runs the wide-area benchmark (make bench-wan): bftnode's
// protocols and CometBFT side by side with every peer link through an
// emulated wide-area link; see package bench/wan.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bftnode/bftnode/bench/wan"
	"github.com/bftnode/bftnode/internal/faultproxy"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run() error {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	o := wan.Options{Log: os.Stdout, Regions: faultproxy.DefaultRegions(), CometBFT: true, Recovery: true}
	var protocols, sizes, rtts, matrix string
	var lightRate float64
	var lightDur, satDur time.Duration
	flag.StringVar(&o.Markdown, "markdown", "BENCHMARKS.md", "report whose bench-wan section is replaced (empty: none)")
	flag.StringVar(&o.ChartDir, "charts", "bench/results", "directory for the latency-against-RTT chart")
	flag.StringVar(&o.RawDir, "raw", "bin/wan", "directory for the JSON results")
	flag.StringVar(&o.CacheDir, "cache", filepath.Join(cache, "bftnode-bench"), "where CometBFT and abci-cli are installed")
	flag.StringVar(&o.WorkDir, "workdir", "", "directory for the networks' homes and logs (default: a new temporary directory)")
	flag.StringVar(&o.Bftnode, "bftnode", "bin/bftnode", "the bftnode executable")
	flag.StringVar(&protocols, "protocols", "tendermint,pbft", "bftnode protocols to measure, comma-separated")
	flag.BoolVar(&o.CometBFT, "cometbft", true, "measure CometBFT too")
	flag.DurationVar(&o.CometTimeoutCommit, "cometbft-timeout-commit", 100*time.Millisecond, "CometBFT's timeout_commit")
	flag.StringVar(&sizes, "validators", "4,7,10", "network sizes, comma-separated")
	flag.StringVar(&matrix, "matrix", "regions", "the links of the size runs: regions (four regions, 10/80/150/220 ms round trips) or uniform:RTT, e.g. uniform:0s")
	flag.StringVar(&rtts, "sweep-rtts", "0ms,50ms,100ms,200ms", "uniform round trips of the latency-against-RTT sweep (empty: no sweep)")
	flag.IntVar(&o.SweepSize, "sweep-validators", 4, "network size of the sweep")
	flag.Float64Var(&lightRate, "light-rate", 50, "transactions per second of the light load")
	flag.DurationVar(&lightDur, "light", 15*time.Second, "length of the light load")
	flag.DurationVar(&satDur, "saturation", 10*time.Second, "length of the saturating load (0: none)")
	flag.DurationVar(&o.Grace, "grace", 15*time.Second, "time after sending for acknowledged transactions to commit before they count as lost")
	flag.BoolVar(&o.Recovery, "recovery", true, "kill the proposer of each network and measure the stall")
	flag.StringVar(&o.Command, "command", "bftwan "+strings.Join(os.Args[1:], " "), "how the run was started, as the report should say")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; bftwan takes only flags (see -help)", flag.Args())
	}
	for _, p := range splitList(protocols) {
		if p != "tendermint" && p != "pbft" {
			return fmt.Errorf("-protocols: %q is not tendermint or pbft", p)
		}
		o.Protocols = append(o.Protocols, p)
	}
	for _, s := range splitList(sizes) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 50 {
			return fmt.Errorf("-validators: %q is not a size from 1 to 50", s)
		}
		o.Sizes = append(o.Sizes, n)
	}
	for _, s := range splitList(rtts) {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 || d > 5*time.Second {
			return fmt.Errorf("-sweep-rtts: %q is not a round trip like 100ms (0 to 5s)", s)
		}
		o.SweepRTTs = append(o.SweepRTTs, d)
	}
	switch {
	case matrix == "regions":
	case strings.HasPrefix(matrix, "uniform:"):
		d, err := time.ParseDuration(strings.TrimPrefix(matrix, "uniform:"))
		if err != nil || d < 0 || d > 5*time.Second {
			return fmt.Errorf("-matrix: %q has no round trip like uniform:100ms (0 to 5s)", matrix)
		}
		o.Regions = faultproxy.UniformRegions(d)
	default:
		return fmt.Errorf("-matrix: %q is not regions or uniform:RTT", matrix)
	}
	if lightRate <= 0 || lightDur <= 0 || satDur < 0 {
		return fmt.Errorf("-light-rate %g, -light %v, -saturation %v: want a positive rate and length, and a length of 0 or more", lightRate, lightDur, satDur)
	}
	o.Light = wan.Workload{Name: "light", Senders: 16, TxSize: 64, Rate: lightRate, Duration: lightDur}
	o.Saturation = wan.Workload{Name: "saturation", Senders: 64, TxSize: 64, Duration: satDur}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out, err := wan.Run(ctx, o)
	if err != nil {
		return err
	}
	fmt.Printf("bench-wan: %d networks and %d sweep points measured in %v", len(out.Cells), len(out.Sweep), out.Finished.Sub(out.Started).Round(time.Second))
	if o.Markdown != "" {
		fmt.Printf("; wrote the %s section of %s", wan.SectionName, o.Markdown)
	}
	fmt.Println()
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
