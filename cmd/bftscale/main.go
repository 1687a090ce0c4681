// Command bftscale runs the simulator at growing network sizes (make
// sim-scale): both protocols under a latency matrix of regions, each run
// reporting the messages and bytes a node sends per block and the
// virtual time a block takes, and writes the sim-scale section of
// BENCHMARKS.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/bftnode/bftnode/bench"
	"github.com/bftnode/bftnode/internal/faultproxy"
	"github.com/bftnode/bftnode/pbft"
	"github.com/bftnode/bftnode/sim"
	"github.com/bftnode/bftnode/sim/protocols"
	"github.com/bftnode/bftnode/tendermint"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

// options of a scale run.
type options struct {
	sizes  []int
	silent []int // sizes of the silent-validator runs
	blocks []int // sizes of the runs with blocks
	// pbftBlockMax is the largest n at which PBFT runs with blocks.
	pbftBlockMax int
	heights      int
	blockBytes   int
	uplink       int64
	markdown     string
	command      string
}

// silentAt is when validator 0 falls silent in the second table's runs:
// after a few heights, so that PBFT's view change carries prepared
// certificates.
const silentAt = time.Second

func run() error {
	var o options
	var sizes, silentSizes, blockSizes string
	var uplinkMbit float64
	flag.StringVar(&sizes, "validators", "4,10,25,50,100,200", "network sizes, comma-separated (at most "+strconv.Itoa(sim.MaxScaleValidators)+")")
	flag.StringVar(&silentSizes, "silent-validators", "4,10,16,25", "network sizes of the runs with validator 0 silent: PBFT's view change costs about n^4 bytes here, so its memory bounds them")
	flag.StringVar(&blockSizes, "block-validators", "4,10,25,50,70,100", "network sizes of the runs with blocks")
	flag.IntVar(&o.pbftBlockMax, "pbft-block-max", 70, "largest n at which PBFT runs with blocks: beyond it the primary's pipelined, retransmitted pre-prepares outgrow the uplink and the simulation's memory")
	flag.IntVar(&o.heights, "heights", 10, "heights every run decides")
	flag.IntVar(&o.blockBytes, "block-bytes", 1<<20, "block size of the second table's runs")
	flag.Float64Var(&uplinkMbit, "uplink", 1000, "each node's upload rate in the second table's runs, Mbit/s")
	flag.StringVar(&o.markdown, "markdown", "BENCHMARKS.md", "report whose sim-scale section is replaced (empty: none)")
	flag.StringVar(&o.command, "command", "bftscale "+strings.Join(os.Args[1:], " "), "how the run was started, as the report should say")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q; bftscale takes only flags (see -help)", flag.Args())
	}
	var err error
	if o.sizes, err = parseSizes("-validators", sizes); err != nil {
		return err
	}
	if o.silent, err = parseSizes("-silent-validators", silentSizes); err != nil {
		return err
	}
	if o.blocks, err = parseSizes("-block-validators", blockSizes); err != nil {
		return err
	}
	if o.heights < 2 || o.heights > 1000 {
		return fmt.Errorf("-heights is %d; want 2 to 1000", o.heights)
	}
	if o.blockBytes < 0 || uplinkMbit <= 0 {
		return fmt.Errorf("-block-bytes %d, -uplink %g: want a size of 0 or more and a positive rate", o.blockBytes, uplinkMbit)
	}
	o.uplink = int64(uplinkMbit * 1e6 / 8)
	started := time.Now()
	regions := faultproxy.DefaultRegions()
	votesOnly := &sim.Links{RTT: regions.RTT, Jitter: regions.JitterFraction}
	silent := &sim.Links{RTT: regions.RTT, Jitter: regions.JitterFraction, Silent: 1, SilentAt: silentAt}
	withBlocks := &sim.Links{RTT: regions.RTT, Jitter: regions.JitterFraction, BlockBytes: o.blockBytes, Uplink: o.uplink}
	r := report{opts: o, regions: regions}
	for _, links := range []*sim.Links{votesOnly, silent, withBlocks} {
		var rows []row
		sizes := o.sizes
		switch links {
		case silent:
			sizes = o.silent
		case withBlocks:
			sizes = o.blocks
		}
		for _, n := range sizes {
			for _, p := range []sim.Protocol{protocols.Tendermint(tendermint.DefaultConfig()), protocols.PBFT(pbft.DefaultConfig())} {
				if links == withBlocks && p.Name == "pbft" && n > o.pbftBlockMax {
					rows = append(rows, row{protocol: p.Name, ScaleSummary: sim.ScaleSummary{Validators: n},
						failure: fmt.Sprintf("not run (above -pbft-block-max %d): the primary pipelines pre-prepares and resends each every second, each with the block to n-1 peers, so its uplink falls behind without bound", o.pbftBlockMax)})
					continue
				}
				rw, err := measure(p, n, o.heights, links)
				if err != nil {
					return err
				}
				fmt.Printf("%-10s n=%-3d %s\n", p.Name, n, rw.line())
				rows = append(rows, rw)
			}
		}
		r.tables = append(r.tables, rows)
	}
	r.took = time.Since(started)
	r.started = started
	if o.markdown == "" {
		return nil
	}
	if err := bench.ReplaceSectionInFile(o.markdown, sectionName, r.markdown()); err != nil {
		return err
	}
	fmt.Printf("wrote the %s section of %s\n", sectionName, o.markdown)
	return nil
}

func parseSizes(flagName, list string) ([]int, error) {
	var out []int
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > sim.MaxScaleValidators {
			return nil, fmt.Errorf("%s: %q is not a size from 1 to %d", flagName, s, sim.MaxScaleValidators)
		}
		out = append(out, n)
	}
	return out, nil
}

// row is one protocol at one size.
type row struct {
	protocol string
	sim.ScaleSummary
	kinds map[string]int
	// maxRound is the highest Tendermint round or PBFT view reached;
	// viewChangeBytes what VIEW-CHANGE and NEW-VIEW messages cost the
	// network in the run.
	maxRound        int32
	viewChangeBytes int64
	wall            time.Duration
	heapMB          float64
	failure         string
}

func (r row) line() string {
	if r.failure != "" {
		return "FAILED: " + r.failure
	}
	return fmt.Sprintf("%8.1f msgs/block/node %10.0f B/block/node  block every %v (spread %v)  %v wall, %.0f MB heap",
		r.MessagesPerNode, r.BytesPerNode, r.Interval.Round(time.Millisecond), r.Spread.Round(time.Millisecond), r.wall.Round(time.Millisecond), r.heapMB)
}

// eventsPerValidator bounds a run's events, and so its memory (the
// simulated nodes keep what they received): a fault-free run of 10
// heights needs about 2,000 per validator at n = 100, while PBFT with
// 1 MiB blocks at n = 100 falls behind its own retransmissions and would
// grow without limit.
const eventsPerValidator = 30_000

// measure runs one seed of the happy scenario, equal powers.
func measure(p sim.Protocol, n, heights int, links *sim.Links) (row, error) {
	p.LivenessBound = 10 * time.Minute // blocks of a megabyte to 200 peers take a while
	runtime.GC()
	start := time.Now()
	res, err := sim.Run(sim.Options{Protocol: p, Scenario: "happy", Seed: 1, Validators: n, Powers: "equal",
		Heights: heights, Links: links, MaxEvents: eventsPerValidator * n})
	if err != nil {
		return row{}, fmt.Errorf("%s at n=%d: %w", p.Name, n, err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rw := row{protocol: p.Name, wall: time.Since(start), heapMB: float64(ms.HeapSys) / (1 << 20), kinds: res.Scale.MessagesByKind,
		maxRound: res.MaxRound, viewChangeBytes: res.Scale.BytesByKind["view-change"] + res.Scale.BytesByKind["new-view"]}
	if res.Failed() {
		rw.failure = res.Violations[0].String()
	}
	s, ok := sim.Summarise(res)
	if !ok && rw.failure == "" {
		rw.failure = fmt.Sprintf("fewer than two heights decided by every honest node in %v", res.End)
	}
	rw.ScaleSummary = s
	rw.Validators = n
	return rw, nil
}
