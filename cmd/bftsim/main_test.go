package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestSweepPrintsOneLinePerPair(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"-protocol", "all", "-scenario", "happy", "-seeds", "2", "-parallel", "2"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "sim protocol=tendermint scenario=happy seeds=2 decided=") ||
		!strings.HasPrefix(lines[1], "sim protocol=pbft scenario=happy seeds=2 decided=") || !strings.HasSuffix(lines[1], " violations=0") ||
		!strings.HasPrefix(lines[2], "sim protocol=tendermint-pbft scenario=happy seeds=2 decided=") ||
		!strings.HasPrefix(lines[3], "sim protocol=pbft-tendermint scenario=happy seeds=2 decided=") || !strings.HasSuffix(lines[3], " violations=0") {
		t.Fatalf("output:\n%s", out.String())
	}
}

func TestOneSeedWithTrace(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"-protocol", "pbft", "-scenario", "crash", "-seed", "3", "-v"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut.String())
	}
	s := out.String()
	for _, want := range []string{"n0 <- start", "CRASH", "run protocol=pbft scenario=crash seed=3", "sim protocol=pbft scenario=crash seeds=1 decided="} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestViolationsExitNonZeroWithReplayCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"-protocol", "tendermint", "-scenario", "equivocate", "-seeds", "3", "-validators", "4", "-powers", "equal", "-byzantine", "2"}, &out, &errOut)
	if code != 1 {
		t.Fatalf("exit %d with more than a third Byzantine\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "replay: go run ./cmd/bftsim -protocol tendermint -scenario equivocate -seed ") {
		t.Fatalf("no replay command:\n%s", out.String())
	}
}

func TestBadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-protocol", "raft"},
		{"-scenario", "nosuch", "-seeds", "1"},
		{"-seeds", "0", "-scenario", "happy"},
		{"-nosuchflag"},
		{"extra"},
	} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 || errOut.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
	}
}

func TestFailFastStopsAtTheFirstFailingSeed(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"-protocol", "tendermint", "-scenario", "equivocate", "-seeds", "5", "-validators", "4", "-powers", "equal", "-byzantine", "2", "-parallel", "1", "-failfast"}, &out, &errOut)
	if code != 1 || strings.Count(out.String(), "FAIL protocol=") != 1 || !strings.Contains(out.String(), "seeds=1 ") {
		t.Fatalf("exit %d, want one failing seed and a sweep of one seed:\n%s", code, out.String())
	}
}
