package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// A run with thousands of violations (a positive control forks at every
// height) is summed up after the first few, and the table still says
// what failed.
func TestReportListsTheFirstViolationsAndCountsTheRest(t *testing.T) {
	r := &Result{Scenario: "control/twins-fork", Protocol: "pbft", Control: true}
	for h := 0; h < listedViolations+7; h++ {
		r.Violations = append(r.Violations, fmt.Sprintf("fork at height %d", h))
	}
	var b strings.Builder
	if err := WriteReport(&b, []*Result{r}, 1, true, time.Minute); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, "- violation: "); n != listedViolations {
		t.Fatalf("report lists %d violations, want %d", n, listedViolations)
	}
	if !strings.Contains(out, "- and 7 more violations") {
		t.Fatalf("report does not count the violations left out:\n%s", out)
	}
	if !strings.Contains(out, fmt.Sprintf("fork at height %d\n", listedViolations-1)) || strings.Contains(out, fmt.Sprintf("fork at height %d\n", listedViolations)) {
		t.Fatalf("report lists the wrong violations:\n%s", out)
	}
}
