package main

import (
	"context"
	"encoding/json"
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
	simTimeout := fs.Duration("sim-timeout", time.Minute, "one family's simulator run must end within this")
	unitTimeout := fs.Duration("unit-timeout", time.Minute, "the unit tests must end within this")
	budget := fs.Duration("budget", 0, "start no mutant after this much time (0: no bound); the report says it is partial")
	spread := fs.Bool("spread", false, "try the mutants in an order whose every prefix samples all files evenly (for runs with -budget)")
	keysFile := fs.String("keys", "", "only the mutants whose keys this file lists, one a line (e.g. the survivors of an earlier run)")
	merge := fs.String("merge", "", "an earlier run's results.json: report its results with this run's replacing those of the same mutants")
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
	sites, err := mutate.Find(root, dirs)
	if err != nil {
		fmt.Fprintf(stderr, "bftmutate: %v\n", err)
		return 2
	}
	sites, err = selectSites(sites, *match, *safetyOnly, *limit)
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
	if *work == "" {
		if *work, err = os.MkdirTemp("", "bftmutate"); err != nil {
			fmt.Fprintf(stderr, "bftmutate: %v\n", err)
			return 2
		}
		defer os.RemoveAll(*work)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	began := time.Now()
	if *spread {
		sites = mutate.Spread(sites)
	}
	cfg := mutate.Config{Root: root, Work: *work, Families: fams, Seeds: *seeds, SimTimeout: *simTimeout, UnitTimeout: *unitTimeout, Parallel: *parallel}
	if *baseline {
		if err := mutate.Baseline(ctx, cfg, dirs); err != nil {
			fmt.Fprintf(stderr, "bftmutate: %v\n", err)
			return 2
		}
	}
	cfg.Budget = *budget
	done := 0
	cfg.Progress = func(r mutate.Result) {
		done++
		fmt.Fprintf(stderr, "[%d/%d] %-8s %s (%.0fs)\n", done, len(sites), r.Verdict(), r.Site, r.Duration.Seconds())
	}
	results := mutate.Run(ctx, cfg, sites)
	results = finished(results)
	sum := mutate.Summary{Command: "bftmutate " + strings.Join(args, " "), Date: began, Took: time.Since(began), Families: fams, Seeds: *seeds, Partial: len(results) < len(sites), Sites: len(sites)}
	if *merge != "" {
		earlier, err := loadRun(*merge)
		if err != nil {
			fmt.Fprintf(stderr, "bftmutate: -merge: %v\n", err)
			return 2
		}
		results = finished(mergeResults(earlier.Results, results))
		e := earlier.Summary
		sum.Command = e.Command + "`, then `" + sum.Command
		sum.Date, sum.Took = e.Date, e.Took+sum.Took
		sum.Partial, sum.Sites = e.Partial || sum.Partial, e.Sites
	}
	if err := writeFiles(*report, *raw, sum, results, reasons); err != nil {
		fmt.Fprintf(stderr, "bftmutate: %v\n", err)
		return 2
	}
	return verdict(results, reasons, stdout)
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

// mergeResults is earlier with every mutant of later replaced or added.
func mergeResults(earlier, later []mutate.Result) []mutate.Result {
	byKey := map[string]int{}
	out := append([]mutate.Result(nil), earlier...)
	for i, r := range out {
		byKey[r.Key] = i
	}
	for _, r := range later {
		if i, ok := byKey[r.Key]; ok {
			out[i] = r
		} else {
			out = append(out, r)
		}
	}
	return out
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
		saved := strings.TrimSuffix(raw, filepath.Ext(raw)) + ".json"
		if err := os.WriteFile(saved, data, 0o644); err != nil {
			return err
		}
	}
	if report != "" {
		return writeFile(report, func(w io.Writer) { mutate.WriteReport(w, sum, results, reasons) })
	}
	return nil
}

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

// verdict prints the totals and says whether the targets are met.
func verdict(results []mutate.Result, reasons map[string]string, stdout io.Writer) int {
	_, all := mutate.Tally(results, reasons)
	fmt.Fprintf(stdout, "mutants=%d compiled=%d killed=%d (sim %d, unit %d, both %d; timeouts %d) survived=%d equivalent=%d kill-score=%.1f%% safety=%d safety-killed-by-sim=%d safety-equivalent=%d\n",
		all.Mutants, all.Compiled, all.Killed(), all.Sim, all.Unit, all.Both, all.Timeouts, all.Survived, all.Equivalent, all.Score(), all.Safety, all.SafetyBySim, all.SafetyExcused)
	status := 0
	for _, r := range results {
		if !r.Compiled || r.KilledBySim() {
			continue
		}
		reason, known := reasons[r.Key]
		if r.Safety && !mutate.IsEquivalent(reason) {
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
