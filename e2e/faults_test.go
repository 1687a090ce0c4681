package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestFaults runs the fault suite: every scenario for each protocol it
// applies to, with both workloads, checking every invariant. Short by
// default; BFTNODE_FAULTS_LONG=1 runs the long version (make faults), and
// BFTNODE_FAULTS_REPORT=path writes the report there. BFTNODE_FAULTS_RUN
// keeps only scenarios whose name contains it.
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	long := os.Getenv("BFTNODE_FAULTS_LONG") != ""
	only := os.Getenv("BFTNODE_FAULTS_RUN")
	start := time.Now()
	var results []*Result
	for _, protocol := range []string{"tendermint", "pbft"} {
		for _, s := range Scenarios {
			if !s.appliesTo(protocol) || !strings.Contains(s.Name, only) {
				continue
			}
			t.Run(protocol+"/"+s.Name, func(t *testing.T) {
				r := runLogged(t, s, protocol, long)
				results = append(results, r)
				reportResult(t, r)
			})
		}
	}
	if path := os.Getenv("BFTNODE_FAULTS_REPORT"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := WriteReport(f, results, long, time.Since(start)); err != nil {
			t.Fatal(err)
		}
	}
}

func runLogged(t *testing.T, s Scenario, protocol string, long bool) *Result {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	return RunScenario(ctx, t.TempDir(), s, protocol, long, t.Logf)
}

func reportResult(t *testing.T, r *Result) {
	t.Helper()
	t.Logf("%s/%s: faults %d, acked %d, lost %d, forks %d, conflicting votes %d, evidence %d, linearizable %s (%d ops, %d known), recovery %v, heights %v",
		r.Protocol, r.Scenario, r.Faults, r.Acked, r.Lost, r.Forks, r.DoubleSigns, r.Evidence, r.Linearizable, r.RegisterOps, r.Known, r.Recovery, r.Heights)
	for _, n := range r.Notes {
		t.Logf("note: %s", n)
	}
	if r.Err != nil {
		t.Errorf("did not finish: %v", r.Err)
	}
	for _, v := range r.Violations {
		t.Errorf("violation: %s", v)
	}
}
