package mutate

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Summary is the report's header: the runs whose results it shows and
// how much of the whole set of mutants they cover.
type Summary struct {
	Runs     []RunRecord
	Families []string
	Seeds    int
	// SourceHash names the sources every shown result was measured on;
	// Stale counts the results of earlier runs on other sources, which
	// are dropped (to be run again), not shown.
	SourceHash string
	Stale      int
	// AllSites and AllSafety count every mutant of the mutated packages,
	// and the safety-relevant ones, whether tried or not.
	AllSites, AllSafety int
	// SimTimeout, ConfirmTimeout and UnitTimeout are the bounds used;
	// UnitAlways says whether the unit tests ran for mutants the
	// simulator killed.
	SimTimeout, ConfirmTimeout, UnitTimeout time.Duration
	UnitAlways                              bool
}

// RunRecord is one invocation that contributed results.
type RunRecord struct {
	Command string
	Date    time.Time
	Took    time.Duration
	Ran     int // mutants it tried
}

// Totals counts one package's (or all) mutants.
type Totals struct {
	Mutants, Compiled, Sim, Unit, Both, Timeouts, Survived, Equivalent int
	// UnitNotRun counts the mutants the simulator killed whose unit tests
	// were not run (they are in Sim).
	UnitNotRun int
	// Safety counts the safety-relevant mutants except those the
	// simulator missed for a recorded equivalence (SafetyExcused).
	Safety, SafetyBySim, SafetyExcused int
}

func (t *Totals) add(r Result, reason string) {
	equivalent := !r.KilledBySim() && !r.KilledByUnit() && IsEquivalent(reason)
	t.Mutants++
	if !r.Compiled {
		return
	}
	t.Compiled++
	switch r.Verdict() {
	case "sim":
		t.Sim++
		if r.Unit == NotRun {
			t.UnitNotRun++
		}
	case "unit":
		t.Unit++
	case "both":
		t.Both++
	default:
		t.Survived++
		if equivalent {
			t.Equivalent++
		}
	}
	if r.Sim == TimedOut || r.Unit == TimedOut {
		t.Timeouts++
	}
	switch {
	case !r.Safety:
	case !r.KilledBySim() && IsSafetyEquivalent(reason):
		t.SafetyExcused++
	default:
		t.Safety++
		if r.KilledBySim() {
			t.SafetyBySim++
		}
	}
}

// Killed is every mutant some check killed.
func (t Totals) Killed() int { return t.Sim + t.Unit + t.Both }

// Score is the kill score: killed over compiled mutants that are not
// equivalent, in percent.
func (t Totals) Score() float64 {
	n := t.Compiled - t.Equivalent
	if n == 0 {
		return 100
	}
	return 100 * float64(t.Killed()) / float64(n)
}

// IsEquivalent reports whether a reason marks a mutant no run within the
// fault model can tell apart from the original: "equivalent: ..." or
// "equivalent below 1/3 faulty ...". Only those leave the kill score.
func IsEquivalent(reason string) bool {
	return strings.HasPrefix(reason, "equivalent:") || strings.HasPrefix(reason, "equivalent below 1/3 faulty")
}

// IsSafetyEquivalent reports whether a reason argues that a mutant
// changes no decision: any reason starting "equivalent", including
// "equivalent for safety" and "equivalent for decisions", whose mutants
// change only liveness, evidence or what the RPC reports. Such a safety
// mutant is excused from the simulator's target but, unless IsEquivalent,
// still counts as a survivor in the kill score.
func IsSafetyEquivalent(reason string) bool { return strings.HasPrefix(reason, "equivalent") }

// Tally counts results per package and overall.
func Tally(results []Result, reasons map[string]string) (map[string]*Totals, Totals) {
	per := map[string]*Totals{}
	var all Totals
	for _, r := range results {
		if per[r.Pkg] == nil {
			per[r.Pkg] = &Totals{}
		}
		per[r.Pkg].add(r, reasons[r.Key])
		all.add(r, reasons[r.Key])
	}
	return per, all
}

// WriteReport writes the readable report (MUTATIONS.md).
func WriteReport(w io.Writer, sum Summary, results []Result, reasons map[string]string) {
	per, all := Tally(results, reasons)
	safety := 0
	for _, r := range results {
		if r.Safety {
			safety++
		}
	}
	fmt.Fprintf(w, "# Mutation testing of the consensus cores\n\n")
	fmt.Fprintf(w, "Every mutant is one change to one condition or state update of `consensus/`,\n")
	fmt.Fprintf(w, "`tendermint/` or `pbft/`, built with `go build -overlay`, then run through the\n")
	fmt.Fprintf(w, "simulator: families %s, %d seeds each,\n", strings.Join(sum.Families, ", "), sum.Seeds)
	fmt.Fprintf(w, "stopping at the first violation, the families that killed the most mutants so far first; `consensus/`\n")
	fmt.Fprintf(w, "mutants in both protocols. A family run that does not end within %v is run again with %v; one that\n", sum.SimTimeout, sum.ConfirmTimeout)
	fmt.Fprintf(w, "does not end then either kills the mutant (a timeout). ")
	if sum.UnitAlways {
		fmt.Fprintf(w, "The package's unit tests (bounded by %v) ran for every mutant.\n", sum.UnitTimeout)
	} else {
		fmt.Fprintf(w, "The package's unit tests (bounded by %v) ran only\nfor the mutants the simulator did not kill (\"unit tests not run\" below).\n", sum.UnitTimeout)
	}
	fmt.Fprintf(w, "Every mutant's row is in `bin/mutate/results.tsv`.\n\n")
	fmt.Fprintf(w, "**Coverage**: %d of the %d mutants (%d of the %d safety-relevant ones) have a result, all measured on\n", len(results), sum.AllSites, safety, sum.AllSafety)
	fmt.Fprintf(w, "the sources of hash `%s` (the Go files the simulator and the cores' tests build from, the families and seeds);\n", sum.SourceHash)
	fmt.Fprintf(w, "`make mutate` runs a mutant again when the sources it was measured on differ from the tree's.")
	if sum.Stale > 0 {
		fmt.Fprintf(w, " %d results of earlier runs were measured on other sources and are not shown (they are run again).", sum.Stale)
	}
	fmt.Fprintf(w, "\n\nRuns:\n\n")
	for _, run := range sum.Runs {
		fmt.Fprintf(w, "- `%s` on %s: %d mutants in %v\n", run.Command, run.Date.UTC().Format("2006-01-02 15:04 UTC"), run.Ran, run.Took.Round(time.Second))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| package | mutants | compiled | killed by sim only | of them unit tests not run | by unit tests only | by both | of them timeouts | survived | equivalent | kill score |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	pkgs := make([]string, 0, len(per))
	for p := range per {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	row := func(name string, t Totals) {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %d | %d | %d | %d | %.1f%% |\n", name, t.Mutants, t.Compiled, t.Sim, t.UnitNotRun, t.Unit, t.Both, t.Timeouts, t.Survived, t.Equivalent, t.Score())
	}
	for _, p := range pkgs {
		row("`"+p+"/`", *per[p])
	}
	row("**all**", all)
	fmt.Fprintf(w, "\nThe kill score is killed over compiled mutants that are not equivalent: a survivor whose reason starts \"equivalent:\" or \"equivalent below 1/3 faulty\" (no run within the fault model tells it apart) leaves the count; one that is equivalent only for safety or for decisions (it changes liveness, evidence or what the RPC reports) counts as a survivor.\n")
	fmt.Fprintf(w, "Safety-relevant mutants (sites in the functions listed in `internal/mutate/safety.go`): %d, of which the simulator alone killed %d; %d more the simulator missed are argued to change no decision, for any faults or below 1/3 faulty power (listed below with the reason; those that change only liveness, evidence or the RPC still count as survivors in the kill score unless the unit tests kill them).\n\n", all.Safety, all.SafetyBySim, all.SafetyExcused)

	var simMissed, survivors []Result
	for _, r := range results {
		if !r.Compiled {
			continue
		}
		if r.Safety && !r.KilledBySim() {
			simMissed = append(simMissed, r)
		}
		if !r.KilledBySim() && !r.KilledByUnit() {
			survivors = append(survivors, r)
		}
	}
	fmt.Fprintf(w, "## Safety mutants the simulator did not kill\n\n")
	if len(simMissed) == 0 {
		fmt.Fprintf(w, "None.\n\n")
	} else {
		fmt.Fprintf(w, "| site | function | mutation | unit tests | reason |\n|---|---|---|---|---|\n")
		for _, r := range simMissed {
			fmt.Fprintf(w, "| %s:%d | `%s` | %s | %s | %s |\n", r.File, r.Line, r.Func, mutation(r), r.Unit, reasonOf(reasons, r))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "## Survivors\n\n")
	if len(survivors) == 0 {
		fmt.Fprintf(w, "None.\n")
		return
	}
	fmt.Fprintf(w, "| site | function | mutation | safety | reason |\n|---|---|---|---|---|\n")
	for _, r := range survivors {
		fmt.Fprintf(w, "| %s:%d | `%s` | %s | %s | %s |\n", r.File, r.Line, r.Func, mutation(r), yesNo(r.Safety), reasonOf(reasons, r))
	}
}

func mutation(r Result) string {
	return fmt.Sprintf("`%s` → `%s`", mdEscape(r.From), mdEscape(r.To))
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func reasonOf(reasons map[string]string, r Result) string {
	if reason, ok := reasons[r.Key]; ok {
		return mdEscape(reason)
	}
	return "**no reason recorded**"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// WriteRaw writes one tab-separated row per mutant.
func WriteRaw(w io.Writer, results []Result) {
	fmt.Fprintf(w, "site\tfunction\tkind\tsafety\tverdict\tsim\tsim_by\tunit\tunit_by\tseconds\tbuild_s\tsim_s\tunit_s\tsource_hash\tkey\n")
	for _, r := range results {
		fmt.Fprintf(w, "%s:%d\t%s\t%s\t%v\t%s\t%s\t%s\t%s\t%s\t%.1f\t%.1f\t%.1f\t%.1f\t%s\t%s\n", r.File, r.Line, r.Func, r.Kind, r.Safety, r.Verdict(), r.Sim, tabless(r.SimBy), r.Unit, tabless(r.UnitBy), r.Duration.Seconds(), r.Build.Seconds(), r.SimTime.Seconds(), r.UnitTime.Seconds(), r.SourceHash, r.Key)
	}
}

func tabless(s string) string { return strings.ReplaceAll(s, "\t", " ") }
