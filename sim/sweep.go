package sim

import (
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// SweepOptions select many runs: every scenario of every protocol, Seeds
// seeds each starting at Start.
type SweepOptions struct {
	Protocols []Protocol
	Scenarios []string
	Start     uint64
	Seeds     int
	// Parallel is the number of runs at a time; zero uses every CPU.
	Parallel int
	// Template carries the per-run overrides (Validators, Powers,
	// Byzantine, Heights, ViewChanges, MaxEvents); its Protocol, Scenario,
	// Seed and Trace are ignored.
	Template Options
	// Timing, if set, receives how long each (protocol, scenario) took.
	Timing io.Writer
	// FailFast stops a pair's sweep once a seed failed: seeds not yet
	// started are skipped, and the summary counts the seeds that ran.
	// With more than one worker, which seeds ran depends on scheduling.
	FailFast bool
}

// SweepSummary is the outcome of one (protocol, scenario) pair.
type SweepSummary struct {
	Protocol, Scenario string
	Seeds              int
	Decided            int
	Violations         int
	Failed             []Result
	// The slowest recovery after healing, and the most rounds (views) an
	// honest node went through after healing, over the seeds.
	MaxRecovery        time.Duration
	MaxRoundsAfterHeal int32
}

// Line is the summary line of the pair, in the fixed format scripts parse.
func (s SweepSummary) Line() string {
	return fmt.Sprintf("sim protocol=%s scenario=%s seeds=%d decided=%d violations=%d", s.Protocol, s.Scenario, s.Seeds, s.Decided, s.Violations)
}

// Sweep runs every selected seed on a pool of workers and writes, per
// (protocol, scenario) and in seed order, each failing seed with its
// violations and replay command, then the summary line. Output depends
// only on the options, not on scheduling.
func Sweep(so SweepOptions, out io.Writer) ([]SweepSummary, error) {
	if so.Seeds < 1 {
		return nil, fmt.Errorf("sim: %d seeds: ask for at least one", so.Seeds)
	}
	for _, sc := range so.Scenarios {
		if !KnownScenario(sc) {
			return nil, fmt.Errorf("sim: unknown scenario %q: use one of %v or %q", sc, Families, StressScenario)
		}
	}
	var all []SweepSummary
	for _, p := range so.Protocols {
		for _, sc := range so.Scenarios {
			began := time.Now()
			sum, err := sweepPair(so, p, sc)
			if err != nil {
				return all, err
			}
			writeSummary(out, sum)
			if so.Timing != nil {
				took := time.Since(began)
				fmt.Fprintf(so.Timing, "sim protocol=%s scenario=%s took %v (%v per seed) max-recovery=%v max-rounds-after-heal=%d\n",
					p.Name, sc, took.Round(time.Millisecond), (took / time.Duration(so.Seeds)).Round(10*time.Microsecond), sum.MaxRecovery.Round(time.Millisecond), sum.MaxRoundsAfterHeal)
			}
			all = append(all, sum)
		}
	}
	return all, nil
}

func sweepPair(so SweepOptions, p Protocol, scenario string) (SweepSummary, error) {
	parallel := so.Parallel
	if parallel <= 0 {
		parallel = runtime.NumCPU()
	}
	results := make([]Result, so.Seeds)
	errs := make([]error, so.Seeds)
	ran := make([]bool, so.Seeds)
	var failed atomic.Bool
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(parallel, so.Seeds) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if so.FailFast && failed.Load() {
					continue
				}
				opts := so.Template
				opts.Protocol, opts.Scenario, opts.Seed, opts.Trace = p, scenario, so.Start+uint64(i), nil
				results[i], errs[i] = Run(opts)
				ran[i] = true
				if results[i].Failed() {
					failed.Store(true)
				}
			}
		}()
	}
	for i := 0; i < so.Seeds && !(so.FailFast && failed.Load()); i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	sum := SweepSummary{Protocol: p.Name, Scenario: scenario}
	for i, r := range results {
		if !ran[i] {
			continue
		}
		sum.Seeds++
		if errs[i] != nil {
			return sum, errs[i]
		}
		sum.Decided += r.Decided
		sum.Violations += len(r.Violations)
		sum.MaxRecovery = max(sum.MaxRecovery, r.Recovery)
		sum.MaxRoundsAfterHeal = max(sum.MaxRoundsAfterHeal, r.RoundsAfterHeal)
		if r.Failed() {
			sum.Failed = append(sum.Failed, r)
		}
	}
	return sum, nil
}

func writeSummary(out io.Writer, sum SweepSummary) {
	for _, r := range sum.Failed {
		WriteFailure(out, &r)
	}
	fmt.Fprintln(out, sum.Line())
}

// WriteFailure writes a failing run's violations and the command that
// replays it.
func WriteFailure(out io.Writer, r *Result) {
	fmt.Fprintf(out, "FAIL protocol=%s scenario=%s seed=%d validators=%d byzantine=%v %v\n", r.Protocol, r.Scenario, r.Seed, len(r.Powers), r.Byzantine, r.Behaviours)
	for _, v := range r.Violations {
		fmt.Fprintf(out, "  %s\n", v)
	}
	fmt.Fprintf(out, "  replay: %s\n", r.ReplayCommand())
}
