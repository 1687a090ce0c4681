package e2e

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteReport writes the fault report (FAULTS.md) for results.
// planned is how many runs the suite was to make; a report written before
// they all ended says so.
func WriteReport(w io.Writer, results []*Result, planned int, long bool, took time.Duration) error {
	var b strings.Builder
	mode := "short (make test)"
	if long {
		mode = "long (make faults)"
	}
	fmt.Fprintf(&b, "# Fault suite report\n\n")
	fmt.Fprintf(&b, "Written by `make faults` (`go test ./e2e -run TestFaults` with BFTNODE_FAULTS_LONG=1): real `bftnode` processes on loopback, 4 validators and 1 full node, each backed by its own `casapp` process over a socket, every peer link through a fault-injecting proxy. ")
	fmt.Fprintf(&b, "Two workloads run throughout: unique writes acknowledged by `broadcast_tx_sync`/`broadcast_tx_commit`, and read/write/compare-and-set on 3 registers checked for linearizability with porcupine.\n\n")
	fmt.Fprintf(&b, "Mode: %s. Generated %s after %v; %d of %d planned runs finished.\n\n", mode, time.Now().UTC().Format(time.RFC3339), took.Round(time.Second), len(results), planned)
	fmt.Fprintf(&b, "| scenario | protocol | faults | acked txs | lost | duplicated | forks | conflicting votes | evidence | linearizable (ops, known) | recovery | verdict |\n")
	fmt.Fprintf(&b, "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|\n")
	for _, r := range results {
		verdict := "pass"
		if len(r.OpenBugs) > 0 {
			verdict = "pass, **open bug**"
		}
		if r.Failed() {
			verdict = "**FAIL**"
		}
		lin := "n/a"
		if r.Linearizable != "" {
			lin = fmt.Sprintf("%s (%d, %d)", r.Linearizable, r.RegisterOps, r.Known)
		}
		rec := "n/a"
		if r.Recovery > 0 {
			rec = r.Recovery.Round(100 * time.Millisecond).String()
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d | %d | %d | %d | %s | %s | %s |\n",
			r.Scenario, r.Protocol, r.Faults, r.Acked, r.Lost, r.Duplicated, r.Forks, r.DoubleSigns, r.Evidence, lin, rec, verdict)
	}
	fmt.Fprintf(&b, "\nRecovery is the time from the last fault healing until every running node committed a new block (limit %v). ", RecoveryLimit)
	fmt.Fprintf(&b, "Conflicting votes are two commit signatures of one validator for one height and round on different blocks, read from every node's commits; evidence counts duplicate-vote evidence in blocks.\n\n")
	for _, r := range results {
		if len(r.Notes) == 0 && len(r.Violations) == 0 && len(r.OpenBugs) == 0 && r.Err == nil {
			continue
		}
		fmt.Fprintf(&b, "## %s (%s)\n\n", r.Scenario, r.Protocol)
		if r.Err != nil {
			fmt.Fprintf(&b, "- did not finish: %s\n", firstLine(r.Err.Error()))
		}
		for i, v := range r.Violations {
			if i == listedViolations {
				fmt.Fprintf(&b, "- and %d more violations (the test log lists them all)\n", len(r.Violations)-i)
				break
			}
			fmt.Fprintf(&b, "- violation: %s\n", v)
		}
		for _, v := range r.OpenBugs {
			fmt.Fprintf(&b, "- open bug (e2e/known.go): %s\n", v)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// listedViolations is how many violations of one run the report lists: a
// positive control forks at every height, and thousands of lines saying so
// would bury the rest.
const listedViolations = 20

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
