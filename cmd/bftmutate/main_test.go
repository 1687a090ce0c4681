package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bftnode/bftnode/internal/mutate"
)

// The smoke version of make mutate: two mutants the simulator must kill,
// a quorum of a simple majority and a Tendermint that decides without a
// quorum of precommits, through the whole command down to its report.
func TestSmokeKillsKnownMutants(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two mutants of the simulator")
	}
	dir := t.TempDir()
	report, raw := filepath.Join(dir, "MUTATIONS.md"), filepath.Join(dir, "results.tsv")
	var out, errOut bytes.Buffer
	code := run([]string{
		"-match", `IsQuorum constant: power\*3 > vs.total\*2 -> power\*2 |tryDecide negation: !l.precommits.hasQuorum`,
		"-families", "happy,equivocate,twins,mixed", "-seeds", "20", "-baseline=false",
		// Bounds far above the runs' seconds: a loaded machine must not
		// turn a violation into a timeout (which names no seed).
		"-sim-timeout", "3m", "-confirm-timeout", "5m",
		"-report", report, "-raw", raw,
	}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "mutants=2 compiled=2 killed=2") || !strings.Contains(out.String(), "safety=2 safety-killed-by-sim=2") {
		t.Fatalf("summary:\n%s", out.String())
	}
	rows, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(rows)), "\n")
	if len(lines) != 3 {
		t.Fatalf("raw rows:\n%s", rows)
	}
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		if f[4] != "sim" && f[4] != "both" || !strings.Contains(f[6], "seed=") {
			t.Errorf("row %q: want killed by the simulator with the failing seed", l)
		}
	}
	md, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "| **all** | 2 | 2 |") || !strings.Contains(string(md), "## Survivors\n\nNone.") {
		t.Fatalf("report:\n%s", md)
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{
		"-match", `IsQuorum constant: power\*3 > vs.total\*2 -> power\*2 |tryDecide negation: !l.precommits.hasQuorum`,
		"-families", "happy,equivocate,twins,mixed", "-seeds", "20", "-baseline=false", "-resume",
		"-sim-timeout", "3m", "-confirm-timeout", "5m",
		"-report", report, "-raw", raw,
	}, &out, &errOut); code != 0 || strings.Contains(errOut.String(), "[1/") {
		t.Fatalf("-resume on the same sources ran mutants again or failed: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if md2, err := os.ReadFile(report); err != nil || string(md2) != string(md) {
		t.Fatalf("the report after a -resume that ran nothing differs (%v):\n%s", err, md2)
	}
	again := filepath.Join(dir, "again.md")
	out.Reset()
	if code := run([]string{"-rerender", filepath.Join(dir, "results.json"), "-report", again}, &out, &errOut); code != 0 {
		t.Fatalf("-rerender: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if md2, err := os.ReadFile(again); err != nil || string(md2) != string(md) {
		t.Fatalf("the report written again from results.json differs (%v):\n%s", err, md2)
	}
}

func TestListAndBadFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-list", "-safety", "-match", `tendermint/rules.go`}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "onProposal") {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if code := run([]string{"-families", "nosuch"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), `-families: unknown family "nosuch"`) {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}

func TestOnlyResultsOfTheCurrentSourcesAreKept(t *testing.T) {
	res := func(key, hash string) mutate.Result {
		return mutate.Result{Site: mutate.Site{Key: key, File: key}, Sim: mutate.Killed, SourceHash: hash}
	}
	older := savedRun{Summary: mutate.Summary{SourceHash: "old", Runs: []mutate.RunRecord{{Command: "a"}}}, Results: []mutate.Result{res("x", "old"), res("y", "old")}}
	newer := savedRun{Summary: mutate.Summary{SourceHash: "new", Runs: []mutate.RunRecord{{Command: "b"}}}, Results: []mutate.Result{res("y", "new"), res("z", "new")}}
	var sum mutate.Summary
	kept, stale := current([]savedRun{older, newer}, "new", &sum)
	if len(kept) != 2 || kept[0].Key != "y" || kept[1].Key != "z" {
		t.Fatalf("kept %+v, want y and z of the new sources", kept)
	}
	if len(sum.Runs) != 1 || sum.Runs[0].Command != "b" {
		t.Fatalf("runs %+v, want only the run on the new sources", sum.Runs)
	}
	if n := staleCount(stale, kept); n != 1 {
		t.Fatalf("stale %d, want 1 (x, measured only on the old sources)", n)
	}
	sites := []mutate.Site{{Key: "x"}, {Key: "y"}, {Key: "z"}, {Key: "w"}}
	if got := notMeasured(sites, kept); len(got) != 2 || got[0].Key != "x" || got[1].Key != "w" {
		t.Fatalf("to run %+v, want x (stale) and w (new)", got)
	}
}
