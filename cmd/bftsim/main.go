package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/bftnode/bftnode/sim"
	"github.com/bftnode/bftnode/sim/protocols"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command, returning its exit status: 0 clean, 1 violations,
// 2 bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bftsim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	protocol := fs.String("protocol", "all", "tendermint, pbft, tendermint-pbft, pbft-tendermint (chains that switch protocol) or all")
	scenario := fs.String("scenario", "all", "a family ("+strings.Join(sim.Families, ", ")+"), "+sim.StressScenario+" or all")
	seeds := fs.Int("seeds", 100, "seeds per protocol and family")
	start := fs.Uint64("start", 1, "first seed")
	parallel := fs.Int("parallel", 0, "runs at a time (0: every CPU)")
	seed := fs.Int64("seed", -1, "replay this one seed")
	verbose := fs.Bool("v", false, "with -seed: print a readable trace of the run")
	failFast := fs.Bool("failfast", false, "stop each protocol and scenario at its first failing seed (with -parallel 1, the lowest one)")
	timing := fs.Bool("timing", false, "print how long each protocol and family took to stderr")
	var tmpl sim.Options
	fs.IntVar(&tmpl.Validators, "validators", 0, "number of validators (0: 4, 7 or 10 by seed)")
	fs.StringVar(&tmpl.Powers, "powers", "", "voting powers: equal, random or heavy (empty: by seed)")
	fs.IntVar(&tmpl.Byzantine, "byzantine", 0, "exactly this many Byzantine validators (0: the family's default, below 1/3 of the power)")
	fs.IntVar(&tmpl.Heights, "heights", 0, "heights every honest node must decide (0: 12)")
	fs.IntVar(&tmpl.ViewChanges, "viewchanges", 0, "view changes the "+sim.StressScenario+" scenario forces (0: 1000)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bftsim: unexpected argument %q; see -help\n", fs.Arg(0))
		return 2
	}
	protos, err := protocols.Lookup(*protocol)
	if err != nil {
		fmt.Fprintf(stderr, "bftsim: -protocol: %v\n", err)
		return 2
	}
	scenarios := []string{*scenario}
	if *scenario == "all" {
		scenarios = sim.Families
	}
	if *seed >= 0 {
		return replay(protos, scenarios, uint64(*seed), *verbose, tmpl, stdout, stderr)
	}
	so := sim.SweepOptions{Protocols: protos, Scenarios: scenarios, Start: *start, Seeds: *seeds, Parallel: *parallel, Template: tmpl, FailFast: *failFast}
	if *timing {
		so.Timing = stderr
	}
	sums, err := sim.Sweep(so, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "bftsim: %v\n", err)
		return 2
	}
	for _, s := range sums {
		if s.Violations > 0 {
			return 1
		}
	}
	return 0
}

// replay runs one seed of each selected protocol and scenario, with a
// trace if asked.
func replay(protos []sim.Protocol, scenarios []string, seed uint64, verbose bool, tmpl sim.Options, stdout, stderr io.Writer) int {
	status := 0
	for _, p := range protos {
		for _, sc := range scenarios {
			opts := tmpl
			opts.Protocol, opts.Scenario, opts.Seed = p, sc, seed
			if verbose {
				opts.Trace = stdout
			}
			res, err := sim.Run(opts)
			if err != nil {
				fmt.Fprintf(stderr, "bftsim: %v\n", err)
				return 2
			}
			fmt.Fprintf(stdout, "run protocol=%s scenario=%s seed=%d validators=%d powers=%v byzantine=%v %v healed=%v recovery=%v max-round=%d rounds-after-heal=%d view-changes=%d end=%v events=%d messages=%d dropped=%d bad-signatures=%d rejected=%d crashes=%d\n",
				p.Name, sc, seed, len(res.Powers), res.Powers, res.Byzantine, res.Behaviours, res.HealedAt, res.Recovery, res.MaxRound, res.RoundsAfterHeal, res.ViewChanges, res.End, res.Events, res.Messages, res.Dropped, res.BadSignatures, res.Rejected, res.Crashes)
			if res.Failed() {
				sim.WriteFailure(stdout, &res)
				status = 1
			}
			v := len(res.Violations)
			fmt.Fprintf(stdout, "sim protocol=%s scenario=%s seeds=1 decided=%d violations=%d\n", p.Name, sc, res.Decided, v)
		}
	}
	return status
}
