package e2e

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Report is one run of the fault suite as FAULTS.md and its details file
// tell it.
type Report struct {
	Results   []*Result
	Planned   int  // how many runs the suite was to make
	Long      bool // the long suite (make faults), not make test's short one
	Took      time.Duration
	Generated time.Time
	// Details names the file that lists every violation and note in full,
	// as the summary refers to it ("" when none is written).
	Details string
}

// listedViolations is how many violations of one run the summary lists: a
// positive control forks at every height, and thousands of lines saying so
// would bury the rest. The details file has them all.
const listedViolations = 10

// WriteSummary writes FAULTS.md: what the suite does, a verdict per
// scenario and protocol, then one section per scenario with its numbers,
// notes and first violations. A report written before every planned run
// ended says so.
func (rep Report) WriteSummary(w io.Writer) error {
	var b strings.Builder
	rep.writeIntro(&b)
	scenarios, byScenario := groupByScenario(rep.Results)
	protocols := protocolsOf(rep.Results)
	b.WriteString("| scenario | " + strings.Join(protocols, " | ") + " |\n")
	b.WriteString("|---" + strings.Repeat("|---", len(protocols)) + "|\n")
	for _, s := range scenarios {
		row := "| " + s
		for _, p := range protocols {
			verdict := "n/a" // the scenario does not apply to this protocol
			for _, r := range byScenario[s] {
				if r.Protocol == p {
					verdict = verdictOf(r)
				}
			}
			row += " | " + verdict
		}
		b.WriteString(row + " |\n")
	}
	fmt.Fprintf(&b, "\nIn each scenario's table, recovery is the time from the last fault healing until every running node committed a new block (limit %v). ", RecoveryLimit)
	b.WriteString("Conflicting votes are two commit signatures of one validator for one height and round on different blocks, read from every node's commits; evidence counts duplicate-vote evidence in blocks. ")
	b.WriteString("A positive control passes when the checker finds the fork it causes.\n")
	for _, s := range scenarios {
		rep.writeScenario(&b, s, byScenario[s])
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (rep Report) writeIntro(b *strings.Builder) {
	mode := "short (make test)"
	if rep.Long {
		mode = "long (make faults)"
	}
	b.WriteString("# Fault suite report\n\n")
	b.WriteString("Written by `make faults` (`go test ./e2e -run TestFaults` with BFTNODE_FAULTS_LONG=1): real `bftnode` processes on loopback, 4 validators and 1 full node, each backed by its own `casapp` process over a socket, every peer link through a fault-injecting proxy. ")
	b.WriteString("Two workloads run throughout: unique writes acknowledged by `broadcast_tx_sync`/`broadcast_tx_commit`, and read/write/compare-and-set on 3 registers checked for linearizability with porcupine.\n\n")
	fmt.Fprintf(b, "Mode: %s. Generated %s after %v; %d of %d planned runs finished.", mode, rep.Generated.UTC().Format(time.RFC3339), rep.Took.Round(time.Second), len(rep.Results), rep.Planned)
	if rep.Details != "" {
		fmt.Fprintf(b, " Every violation and note in full: `%s`, written by the same run.", rep.Details)
	}
	b.WriteString("\n\n")
}

func (rep Report) writeScenario(b *strings.Builder, scenario string, runs []*Result) {
	fmt.Fprintf(b, "\n## %s\n\n", scenario)
	b.WriteString("| protocol | faults | acked txs | lost | duplicated | forks | conflicting votes | evidence | linearizable (ops, known) | recovery | verdict |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|\n")
	for _, r := range runs {
		lin := "n/a"
		if r.Linearizable != "" {
			lin = fmt.Sprintf("%s (%d, %d)", r.Linearizable, r.RegisterOps, r.Known)
		}
		rec := "n/a"
		if r.Recovery > 0 {
			rec = r.Recovery.Round(100 * time.Millisecond).String()
		}
		fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %d | %d | %d | %s | %s | %s |\n",
			r.Protocol, r.Faults, r.Acked, r.Lost, r.Duplicated, r.Forks, r.DoubleSigns, r.Evidence, lin, rec, verdictOf(r))
	}
	var lines []string
	for _, r := range runs {
		if r.Err != nil {
			lines = append(lines, fmt.Sprintf("%s did not finish: %s", r.Protocol, firstLine(r.Err.Error())))
		}
		for i, v := range r.Violations {
			if i == listedViolations {
				more := fmt.Sprintf("%s: and %d more violations", r.Protocol, len(r.Violations)-i)
				if rep.Details != "" {
					more += " (all in `" + rep.Details + "`)"
				}
				lines = append(lines, more)
				break
			}
			lines = append(lines, fmt.Sprintf("%s violation: %s", r.Protocol, v))
		}
		for _, v := range r.OpenBugs {
			lines = append(lines, fmt.Sprintf("%s open bug (e2e/known.go): %s", r.Protocol, v))
		}
		for _, n := range r.Notes {
			lines = append(lines, fmt.Sprintf("%s: %s", r.Protocol, n))
		}
	}
	if len(lines) > 0 {
		b.WriteString("\n")
	}
	for _, l := range lines {
		b.WriteString("- " + l + "\n")
	}
}

// WriteDetails writes everything each run found, without the summary's
// cuts: every violation, open bug and note, and the whole error of a run
// that did not finish.
func (rep Report) WriteDetails(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Fault suite details\n\nThe full findings of the run summarised in FAULTS.md, generated %s.\n", rep.Generated.UTC().Format(time.RFC3339))
	for _, r := range rep.Results {
		fmt.Fprintf(&b, "\n## %s (%s): %s\n\n", r.Scenario, r.Protocol, verdictOf(r))
		if r.Err != nil {
			fmt.Fprintf(&b, "- did not finish: %s\n", r.Err)
		}
		for _, v := range r.Violations {
			fmt.Fprintf(&b, "- violation: %s\n", v)
		}
		for _, v := range r.OpenBugs {
			fmt.Fprintf(&b, "- open bug (e2e/known.go): %s\n", v)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func verdictOf(r *Result) string {
	switch {
	case r.Failed():
		return "**FAIL**"
	case len(r.OpenBugs) > 0:
		return "pass, **open bug**"
	}
	return "pass"
}

// groupByScenario returns the scenarios in the order they first ran, and
// each one's runs in run order.
func groupByScenario(results []*Result) ([]string, map[string][]*Result) {
	var order []string
	by := map[string][]*Result{}
	for _, r := range results {
		if _, ok := by[r.Scenario]; !ok {
			order = append(order, r.Scenario)
		}
		by[r.Scenario] = append(by[r.Scenario], r)
	}
	return order, by
}

// protocolsOf returns the protocols of results in the order they first ran.
func protocolsOf(results []*Result) []string {
	var out []string
	for _, r := range results {
		if !slices.Contains(out, r.Protocol) {
			out = append(out, r.Protocol)
		}
	}
	return out
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
