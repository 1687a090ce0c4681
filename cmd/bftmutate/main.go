package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/bftnode/bftnode/internal/mutate"
	"github.com/bftnode/bftnode/sim"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command, returning its exit status: 0 targets met, 1 a
// safety mutant the simulator missed or a survivor without a reason, 2
// bad usage or a failing baseline.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bftmutate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pkgs := fs.String("pkgs", strings.Join(mutate.Packages, ","), "package directories to mutate, comma-separated")
	seeds := fs.Int("seeds", 10, "simulator seeds per family")
	families := fs.String("families", strings.Join(sim.Families, ","), "scenario families, in the order they are tried")
	parallel := fs.Int("parallel", 2, "mutants at a time")
	match := fs.String("match", "", "only mutants whose key matches this regular expression")
	safetyOnly := fs.Bool("safety", false, "only safety-relevant mutants")
	limit := fs.Int("limit", 0, "at most this many mutants, spread evenly over the selection (0: all)")
	list := fs.Bool("list", false, "print the selected mutants' keys and stop")
	report := fs.String("report", "", "write the readable report to this file")
	raw := fs.String("raw", "", "write every mutant's row (tab-separated) to this file, and the run to the same name with .json")
	work := fs.String("work", "", "scratch directory (empty: a new temporary one)")
	simTimeout := fs.Duration("sim-timeout", 20*time.Second, "one family's simulator run must end within this, or be run again with -confirm-timeout")
	confirmTimeout := fs.Duration("confirm-timeout", 90*time.Second, "a family run that timed out must end within this on its second run, or the mutant is killed by the timeout")
	unitTimeout := fs.Duration("unit-timeout", 2*time.Minute, "the unit tests must end within this")
	unitAlways := fs.Bool("unit-always", false, "run the unit tests of the mutants the simulator killed too (by default only of those it missed)")
	budget := fs.Duration("budget", 0, "start no mutant after this much time (0: no bound); the report says it is partial")
	spread := fs.Bool("spread", false, "try the mutants in an order whose every prefix samples all files evenly (for runs with -budget)")
	keysFile := fs.String("keys", "", "only the mutants whose keys this file lists, one a line (e.g. the survivors of an earlier run)")
	merge := fs.String("merge", "", "an earlier run's results.json: its results measured on the current sources are kept and their mutants not run again; this run's results are added")
	resume := fs.Bool("resume", false, "merge the results.json next to -raw if it exists (so repeated runs cover the whole set)")
	rerender := fs.String("rerender", "", "write the report again from this run's results.json with today's reasons and safety list, running nothing")
	baseline := fs.Bool("baseline", true, "check first that the unmutated tree passes")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bftmutate: unexpected argument %q; see -help\n", fs.Arg(0))
		return 2
	}
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintf(stderr, "bftmutate: %v\n", err)
		return 2
	}
	fams := strings.Split(*families, ",")
	for _, f := range fams {
		if !sim.KnownScenario(f) {
			fmt.Fprintf(stderr, "bftmutate: -families: unknown family %q; use some of %v\n", f, sim.Families)
			return 2
		}
	}
	dirs := strings.Split(*pkgs, ",")
	all, err := mutate.Find(root, dirs)
	if err != nil {
		fmt.Fprintf(stderr, "bftmutate: %v\n", err)
		return 2
	}
	sites, err := selectSites(all, *match, *safetyOnly, *limit)
	if err != nil {
		fmt.Fprintf(stderr, "bftmutate: -match: %v\n", err)
		return 2
	}
	if *keysFile != "" {
		if sites, err = onlyKeys(sites, *keysFile); err != nil {
			fmt.Fprintf(stderr, "bftmutate: -keys: %v\n", err)
			return 2
		}
	}
	if *list {
		for _, s := range sites {
			fmt.Fprintf(stdout, "%s\t%s\n", s, s.Key)
		}
		return 0
	}
	reasons, err := mutate.Reasons()
	if err != nil {
		fmt.Fprintf(stderr, "bftmutate: %v\n", err)
		return 2
	}
	if *rerender != "" {
		return rerenderReport(*rerender, *report, reasons, stdout, stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	began := time.Now()
	hash, err := mutate.SourceHash(ctx, root, dirs, fams, *seeds)
	if err != nil {
		fmt.Fprintf(stderr, "bftmutate: %v\n", err)
		return 2
	}
	sum := mutate.Summary{Families: fams, Seeds: *seeds, SourceHash: hash, AllSites: len(all), SimTimeout: *simTimeout, ConfirmTimeout: *confirmTimeout, UnitTimeout: *unitTimeout, UnitAlways: *unitAlways}
	for _, s := range all {
		if s.Safety {
			sum.AllSafety++
		}
	}
	var earlier []savedRun
	if *merge != "" {
		run, err := loadRun(*merge)
		if err != nil {
			fmt.Fprintf(stderr, "bftmutate: -merge: %v\n", err)
			return 2
		}
		earlier = append(earlier, run)
	}
	if *resume && *raw != "" {
		run, err := loadRun(savedPath(*raw))
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			fmt.Fprintf(stderr, "bftmutate: -resume: %v\n", err)
			return 2
		default:
			earlier = append(earlier, run)
		}
	}
	kept, stale := current(earlier, hash, &sum)
	sites = notMeasured(sites, kept)
	if *spread {
		sites = mutate.Spread(sites)
	}
	if *work == "" {
		if *work, err = os.MkdirTemp("", "bftmutate"); err != nil {
			fmt.Fprintf(stderr, "bftmutate: %v\n", err)
			return 2
		}
		defer os.RemoveAll(*work)
	}
	cfg := mutate.Config{Root: root, Work: *work, Families: fams, Seeds: *seeds, SimTimeout: *simTimeout, ConfirmTimeout: *confirmTimeout, UnitTimeout: *unitTimeout, UnitAlways: *unitAlways, SourceHash: hash, Parallel: *parallel}
	cfg.Learn(kept)
	if *baseline && len(sites) > 0 {
		if err := mutate.Baseline(ctx, cfg, dirs); err != nil {
			fmt.Fprintf(stderr, "bftmutate: %v\n", err)
			return 2
		}
	}
	cfg.Budget = *budget
	this := mutate.RunRecord{Command: "bftmutate " + strings.Join(args, " "), Date: began}
	results := kept
	// save writes what is known so far, so that a run stopped in any way
	// keeps its results for the next -resume.
	save := func(report string) error {
		this.Took = time.Since(began)
		return writeFiles(report, *raw, sumWith(sum, this, stale, results), finished(results), reasons)
	}
	cfg.Progress = func(r mutate.Result) {
		this.Ran++
		results = append(results, r)
		fmt.Fprintf(stderr, "[%d/%d] %-8s %s (%.1fs: build %.1fs, sim %.1fs, unit %.1fs)\n", this.Ran, len(sites), r.Verdict(), r.Site, r.Duration.Seconds(), r.Build.Seconds(), r.SimTime.Seconds(), r.UnitTime.Seconds())
		if err := save(""); err != nil {
			fmt.Fprintf(stderr, "bftmutate: save the results: %v\n", err)
		}
	}
	mutate.Run(ctx, cfg, sites)
	if err := save(*report); err != nil {
		fmt.Fprintf(stderr, "bftmutate: %v\n", err)
		return 2
	}
	return verdict(finished(results), reasons, stdout)
}

// sumWith is sum with this run added and the stale results counted.
func sumWith(sum mutate.Summary, this mutate.RunRecord, stale map[string]bool, results []mutate.Result) mutate.Summary {
	s := sum
	s.Runs = append([]mutate.RunRecord(nil), sum.Runs...)
	if this.Ran > 0 {
		s.Runs = append(s.Runs, this)
	}
	s.Stale = staleCount(stale, results)
	return s
}

// current keeps the earlier results measured on the sources of hash
// (later files win for one mutant) and the runs that measured them; it
// returns the keys of the others, to be run again.
func current(earlier []savedRun, hash string, sum *mutate.Summary) ([]mutate.Result, map[string]bool) {
	byKey := map[string]mutate.Result{}
	stale := map[string]bool{}
	for _, run := range earlier {
		if run.Summary.SourceHash == hash {
			sum.Runs = append(sum.Runs, run.Summary.Runs...)
		}
		for _, r := range run.Results {
			if r.SourceHash == hash {
				byKey[r.Key] = r
			} else {
				stale[r.Key] = true
			}
		}
	}
	kept := make([]mutate.Result, 0, len(byKey))
	for _, r := range byKey {
		kept = append(kept, r)
	}
	return finished(kept), stale
}

// staleCount is how many mutants have only results on other sources.
func staleCount(stale map[string]bool, results []mutate.Result) int {
	n := len(stale)
	for _, r := range results {
		if stale[r.Key] {
			n--
		}
	}
	return n
}

// notMeasured drops the sites that have a result in kept.
func notMeasured(sites []mutate.Site, kept []mutate.Result) []mutate.Site {
	have := map[string]bool{}
	for _, r := range kept {
		have[r.Key] = true
	}
	var out []mutate.Site
	for _, s := range sites {
		if !have[s.Key] {
			out = append(out, s)
		}
	}
	return out
}

// selectSites keeps the sites the flags ask for.
func selectSites(sites []mutate.Site, match string, safetyOnly bool, limit int) ([]mutate.Site, error) {
	var re *regexp.Regexp
	if match != "" {
		var err error
		if re, err = regexp.Compile(match); err != nil {
			return nil, err
		}
	}
	var out []mutate.Site
	for _, s := range sites {
		if (re == nil || re.MatchString(s.Key)) && (!safetyOnly || s.Safety) {
			out = append(out, s)
		}
	}
	if limit > 0 && limit < len(out) {
		spread := make([]mutate.Site, 0, limit)
		for i := range limit {
			spread = append(spread, out[i*len(out)/limit])
		}
		out = spread
	}
	return out, nil
}

// finished drops the mutants a stopped run never tried and puts the rest
// in file and position order.
func finished(results []mutate.Result) []mutate.Result {
	var out []mutate.Result
	for _, r := range results {
		if r.File != "" {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Start < out[j].Start
	})
	return out
}

// savedRun is a run as results.json keeps it, next to the raw rows.
type savedRun struct {
	Summary mutate.Summary
	Results []mutate.Result
}

// onlyKeys keeps the sites whose keys the file lists.
func onlyKeys(sites []mutate.Site, file string) ([]mutate.Site, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, k := range strings.Split(string(data), "\n") {
		if k = strings.TrimSpace(k); k != "" {
			want[k] = true
		}
	}
	var out []mutate.Site
	for _, s := range sites {
		if want[s.Key] {
			out = append(out, s)
		}
	}
	return out, nil
}

func loadRun(path string) (savedRun, error) {
	var run savedRun
	data, err := os.ReadFile(path)
	if err != nil {
		return run, err
	}
	if err := json.Unmarshal(data, &run); err != nil {
		return run, fmt.Errorf("%s is not a results.json of bftmutate: %w", path, err)
	}
	return run, nil
}

// rerenderReport writes the report of a saved run with today's reasons.
func rerenderReport(saved, report string, reasons map[string]string, stdout, stderr io.Writer) int {
	run, err := loadRun(saved)
	if err != nil {
		fmt.Fprintf(stderr, "bftmutate: -rerender: %v\n", err)
		return 2
	}
	for i := range run.Results {
		r := &run.Results[i]
		r.Safety = mutate.IsSafety(r.File, r.Func) // today's list
	}
	if report != "" {
		if err := writeFile(report, func(w io.Writer) { mutate.WriteReport(w, run.Summary, run.Results, reasons) }); err != nil {
			fmt.Fprintf(stderr, "bftmutate: %v\n", err)
			return 2
		}
	}
	return verdict(run.Results, reasons, stdout)
}

func writeFiles(report, raw string, sum mutate.Summary, results []mutate.Result, reasons map[string]string) error {
	if raw != "" {
		if err := writeFile(raw, func(w io.Writer) { mutate.WriteRaw(w, results) }); err != nil {
			return err
		}
		data, err := json.MarshalIndent(savedRun{sum, results}, "", " ")
		if err != nil {
			return err
		}
		saved := savedPath(raw)
		if err := os.WriteFile(saved+".tmp", data, 0o644); err != nil {
			return err
		}
		if err := os.Rename(saved+".tmp", saved); err != nil {
			return err
		}
	}
	if report != "" {
		return writeFile(report, func(w io.Writer) { mutate.WriteReport(w, sum, results, reasons) })
	}
	return nil
}

// savedPath is the results.json next to the raw rows.
func savedPath(raw string) string { return strings.TrimSuffix(raw, filepath.Ext(raw)) + ".json" }

func writeFile(path string, write func(io.Writer)) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	write(f)
	return f.Close()
}

// minKillScore is the target kill score, in percent.
const minKillScore = 90.0

// verdict prints the totals and says whether the targets are met.
func verdict(results []mutate.Result, reasons map[string]string, stdout io.Writer) int {
	_, all := mutate.Tally(results, reasons)
	fmt.Fprintf(stdout, "mutants=%d compiled=%d killed=%d (sim %d, unit %d, both %d; timeouts %d) survived=%d equivalent=%d kill-score=%.1f%% safety=%d safety-killed-by-sim=%d safety-equivalent=%d\n",
		all.Mutants, all.Compiled, all.Killed(), all.Sim, all.Unit, all.Both, all.Timeouts, all.Survived, all.Equivalent, all.Score(), all.Safety, all.SafetyBySim, all.SafetyExcused)
	status := 0
	if all.Score() < minKillScore {
		fmt.Fprintf(stdout, "KILL SCORE %.1f%% IS BELOW THE TARGET OF %.0f%%\n", all.Score(), minKillScore)
		status = 1
	}
	for _, r := range results {
		if !r.Compiled || r.KilledBySim() {
			continue
		}
		reason, known := reasons[r.Key]
		if r.Safety && !mutate.IsSafetyEquivalent(reason) {
			fmt.Fprintf(stdout, "SAFETY MUTANT NOT KILLED BY THE SIMULATOR: %s (unit tests: %s)\n  key: %s\n", r.Site, r.Unit, r.Key)
			status = 1
		} else if !r.KilledByUnit() && !known {
			fmt.Fprintf(stdout, "SURVIVOR WITHOUT A REASON: %s\n  key: %s\n", r.Site, r.Key)
			status = 1
		}
	}
	return status
}

// moduleRoot is the directory of the go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory: run bftmutate inside the module")
		}
		dir = parent
	}
}
