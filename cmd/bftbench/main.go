// Command bftbench runs the side-by-side benchmark of bftnode and CometBFT
// (make bench): see package bench/suite.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/bftnode/bftnode/bench/suite"
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
	o := suite.Options{Log: os.Stdout}
	var commits, protocols string
	var scale float64
	flag.StringVar(&o.OutDir, "out", "bench/results", "directory for the JSON results and charts")
	flag.StringVar(&o.Markdown, "markdown", "BENCHMARKS.md", "report to write (empty: none)")
	flag.StringVar(&o.CacheDir, "cache", filepath.Join(cache, "bftnode-bench"), "where CometBFT and abci-cli are installed")
	flag.StringVar(&o.WorkDir, "workdir", "", "directory for the networks' homes and logs (default: a new temporary directory)")
	flag.StringVar(&o.Bftnode, "bftnode", "bin/bftnode", "the bftnode executable")
	flag.StringVar(&commits, "cometbft-timeout-commits", "1s,500ms,200ms,50ms", "CometBFT timeout_commit values to try, comma-separated; the best is used")
	flag.DurationVar(&o.ProbeDuration, "probe", 10*time.Second, "length of each timeout_commit probe")
	flag.StringVar(&protocols, "protocols", "tendermint,pbft", "bftnode protocols to measure, comma-separated")
	flag.Float64Var(&scale, "scale", 1, "multiply every workload's duration by this")
	flag.DurationVar(&o.Grace, "grace", 15*time.Second, "time after sending for acknowledged transactions to commit before they count as lost")
	flag.BoolVar(&o.Profile, "profile", true, "save a CPU profile of bftnode's node0 during saturation (in the work directory)")
	flag.StringVar(&o.MicroBench, "micro", "", "file of `go test -bench` output to include in the report")
	flag.StringVar(&o.Command, "command", "bftbench "+strings.Join(os.Args[1:], " "), "how the run was started, as the report should say")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; bftbench takes only flags (see -help)", flag.Args())
	}
	if scale <= 0 || scale > 10 {
		return fmt.Errorf("-scale is %g; want more than 0 and at most 10", scale)
	}
	for _, s := range strings.Split(commits, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil || d < 0 {
			return fmt.Errorf("-cometbft-timeout-commits: %q is not a duration like 500ms", s)
		}
		o.TimeoutCommits = append(o.TimeoutCommits, d)
	}
	for _, p := range strings.Split(protocols, ",") {
		if p = strings.TrimSpace(p); p != "tendermint" && p != "pbft" {
			return fmt.Errorf("-protocols: %q is not tendermint or pbft", p)
		}
		o.Protocols = append(o.Protocols, strings.TrimSpace(p))
	}
	o.Workloads = suite.DefaultWorkloads(scale)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out, err := suite.Run(ctx, o)
	if err != nil {
		return err
	}
	fmt.Println()
	if err := out.Comparison.WriteTable(os.Stdout, out.Targets); err != nil {
		return err
	}
	for sys, p := range out.Profiles {
		fmt.Printf("CPU profile of %s node0 during saturation: %s (go tool pprof -top %s)\n", sys, p, p)
	}
	if o.Markdown != "" {
		fmt.Println("wrote", o.Markdown)
	}
	return nil
}
