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

func TestMergeReplacesByKey(t *testing.T) {
	a := []mutate.Result{{Site: mutate.Site{Key: "x"}, Sim: mutate.Survived}, {Site: mutate.Site{Key: "y"}, Sim: mutate.Survived}}
	b := []mutate.Result{{Site: mutate.Site{Key: "y"}, Sim: mutate.Killed}, {Site: mutate.Site{Key: "z"}, Sim: mutate.Killed}}
	got := mergeResults(a, b)
	if len(got) != 3 || got[0].Sim != mutate.Survived || got[1].Sim != mutate.Killed || got[2].Key != "z" {
		t.Fatalf("merged %+v", got)
	}
}
