package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestFaults runs the fault suite and checks every invariant.
//
// By default (make test) it runs the short suite: for each protocol, one
// network takes every scenario's faults in turn, and the positive control
// runs on its own; the two protocols run side by side.
// BFTNODE_FAULTS_LONG=1 (make faults) runs every scenario for every
// protocol on its own network with the durations, one at a time;
// BFTNODE_FAULTS_REPORT=path writes the report there,
// BFTNODE_FAULTS_DETAILS=path every violation and note in full, and
// BFTNODE_FAULTS_RUN keeps only the scenarios whose name contains it.
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	long := os.Getenv("BFTNODE_FAULTS_LONG") != ""
	only := os.Getenv("BFTNODE_FAULTS_RUN")
	start := time.Now()
	var mu sync.Mutex
	var results []*Result
	path, details := os.Getenv("BFTNODE_FAULTS_REPORT"), os.Getenv("BFTNODE_FAULTS_DETAILS")
	run := func(t *testing.T, s Scenario, protocol string) {
		r := runLogged(t, s, protocol, long)
		mu.Lock()
		results = append(results, r)
		if path != "" { // after every scenario, so a cut-short run still reports
			rep := Report{Results: results, Planned: planned(long, only), Long: long, Took: time.Since(start), Generated: time.Now()}
			if err := writeReportFiles(rep, path, details); err != nil {
				t.Error(err)
			}
		}
		mu.Unlock()
		reportResult(t, r)
	}
	t.Run("suite", func(t *testing.T) {
		for _, protocol := range []string{"tendermint", "pbft"} {
			if !long {
				t.Run(protocol, func(t *testing.T) {
					t.Parallel()
					for _, s := range []Scenario{shortSuite(protocol), twinsControl()} {
						if strings.Contains(s.Name, only) {
							t.Run(s.Name, func(t *testing.T) { run(t, s, protocol) })
						}
					}
				})
				continue
			}
			for _, s := range Scenarios {
				if s.appliesTo(protocol) && strings.Contains(s.Name, only) {
					t.Run(protocol+"/"+s.Name, func(t *testing.T) { run(t, s, protocol) })
				}
			}
		}
	})
}

// planned counts the runs TestFaults makes.
func planned(long bool, only string) int {
	n := 0
	for _, protocol := range []string{"tendermint", "pbft"} {
		if !long {
			for _, s := range []Scenario{shortSuite(protocol), twinsControl()} {
				if strings.Contains(s.Name, only) {
					n++
				}
			}
			continue
		}
		for _, s := range Scenarios {
			if s.appliesTo(protocol) && strings.Contains(s.Name, only) {
				n++
			}
		}
	}
	return n
}

// writeReportFiles writes the summary to path and, if details is set, the
// full findings there, named in the summary relative to path's directory.
func writeReportFiles(rep Report, path, details string) error {
	if details != "" {
		rep.Details = details
		if rel, err := filepath.Rel(filepath.Dir(path), details); err == nil {
			rep.Details = filepath.ToSlash(rel)
		}
		if err := writeFile(details, rep.WriteDetails); err != nil {
			return err
		}
	}
	return writeFile(path, rep.WriteSummary)
}

func writeFile(path string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating the report's directory: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func twinsControl() Scenario {
	for _, s := range Scenarios {
		if s.Control {
			return s
		}
	}
	panic("the suite has no positive control")
}

func runLogged(t *testing.T, s Scenario, protocol string, long bool) *Result {
	limit := 15 * time.Minute
	if long {
		limit = 30 * time.Minute // a long run leaves thousands of heights to check
	}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
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
	for _, b := range r.OpenBugs {
		t.Logf("OPEN BUG (known.go, not failing the run): %s", b)
	}
	if r.Err != nil {
		t.Errorf("did not finish: %v", r.Err)
	}
	for _, v := range r.Violations {
		if r.Control {
			t.Logf("found, as the control requires: %s", v)
		} else {
			t.Errorf("violation: %s", v)
		}
	}
	if r.Control && r.Failed() && r.Err == nil {
		t.Errorf("positive control: the checker reported no fork")
	}
}
