package e2e

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// A run with thousands of violations (a positive control forks at every
// height) is summed up after the first few, which the details file lists
// in full, and the tables still say what passed and what failed.
func TestReportListsTheFirstViolationsAndDetailsTheRest(t *testing.T) {
	control := &Result{Scenario: "control/twins-fork", Protocol: "pbft", Control: true, Forks: listedViolations + 7}
	for h := 0; h < listedViolations+7; h++ {
		control.Violations = append(control.Violations, fmt.Sprintf("fork at height %d", h))
	}
	crashed := &Result{Scenario: "crash/fail-points", Protocol: "tendermint", Err: errors.New("node 1 did not start\nits log: ...")}
	clean := &Result{Scenario: "crash/fail-points", Protocol: "pbft", Notes: []string{"node 2 recovered"}}
	rep := Report{Results: []*Result{crashed, clean, control}, Planned: 4, Long: true, Took: time.Minute,
		Generated: time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC), Details: "bin/faults/details.md"}

	var summary strings.Builder
	if err := rep.WriteSummary(&summary); err != nil {
		t.Fatal(err)
	}
	out := summary.String()
	if n := strings.Count(out, "pbft violation: "); n != listedViolations {
		t.Fatalf("summary lists %d violations, want %d:\n%s", n, listedViolations, out)
	}
	if !strings.Contains(out, "fork at height 9\n") || strings.Contains(out, "fork at height 10\n") {
		t.Fatalf("summary lists the wrong violations:\n%s", out)
	}
	if !strings.Contains(out, "and 7 more violations (all in `bin/faults/details.md`)") {
		t.Fatalf("summary does not point to the violations left out:\n%s", out)
	}
	for _, want := range []string{
		"| scenario | tendermint | pbft |",
		"| crash/fail-points | **FAIL** | pass |",
		"| control/twins-fork | n/a | pass |",
		"## crash/fail-points\n",
		"- tendermint did not finish: node 1 did not start\n",
		"- pbft: node 2 recovered\n",
		"Generated 2026-12-02T12:00:00Z after 1m0s; 3 of 4 planned runs finished.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}

	var details strings.Builder
	if err := rep.WriteDetails(&details); err != nil {
		t.Fatal(err)
	}
	full := details.String()
	if n := strings.Count(full, "- violation: fork at height "); n != listedViolations+7 {
		t.Errorf("details list %d violations, want all %d", n, listedViolations+7)
	}
	if !strings.Contains(full, "its log: ...") {
		t.Errorf("details cut the error of the run that did not finish:\n%s", full)
	}
}
