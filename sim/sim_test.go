package sim

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

func run(t *testing.T, opts Options) Result {
	t.Helper()
	res, err := Run(opts)
	if err != nil {
		t.Fatalf("%s seed %d: %v", opts.Scenario, opts.Seed, err)
	}
	return res
}

func kinds(r Result) []string {
	var out []string
	for _, v := range r.Violations {
		if !slices.Contains(out, v.Kind) {
			out = append(out, v.Kind)
		}
	}
	return out
}

// firstViolation runs seeds 1..maxSeeds and returns the first result with
// a violation of kind.
func firstViolation(t *testing.T, opts Options, kind string, maxSeeds uint64) (Result, bool) {
	t.Helper()
	for seed := uint64(1); seed <= maxSeeds; seed++ {
		opts.Seed = seed
		res := run(t, opts)
		if slices.Contains(kinds(res), kind) {
			return res, true
		}
	}
	return Result{}, false
}

func TestSameSeedSameRun(t *testing.T) {
	for _, fam := range []string{"happy", "lossy", "crash", "twins", "mixed"} {
		opts := Options{Protocol: toyProtocol, Scenario: fam, Seed: 7}
		a, b := run(t, opts), run(t, opts)
		a.opts, b.opts = Options{}, Options{}
		if fmt.Sprintf("%+v", a) != fmt.Sprintf("%+v", b) {
			t.Errorf("%s: two runs of one seed differ:\n%+v\n%+v", fam, a, b)
		}
		opts.Seed = 8
		if c := run(t, opts); c.Digest == a.Digest {
			t.Errorf("%s: seeds 7 and 8 have the same digest", fam)
		}
	}
}

func TestTraceDoesNotChangeTheRun(t *testing.T) {
	opts := Options{Protocol: toyProtocol, Scenario: "crash", Seed: 3}
	plain := run(t, opts)
	var buf bytes.Buffer
	opts.Trace = &buf
	traced := run(t, opts)
	if plain.Digest != traced.Digest || plain.Decided != traced.Decided {
		t.Fatalf("tracing changed the run: digest %x vs %x", plain.Digest, traced.Digest)
	}
	for _, want := range []string{"CRASH", "RESTART", "decide h=1", "broadcast proposal"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("trace lacks %q", want)
		}
	}
}

// The naive core is safe and live when only the network and crashes are
// faulty: the simulator must not invent violations.
func TestNaiveCoreSurvivesNetworkFaultsAndCrashes(t *testing.T) {
	crashes := 0
	for _, fam := range []string{"happy", "lossy", "partition", "asymmetric", "crash"} {
		for seed := uint64(1); seed <= 6; seed++ {
			res := run(t, Options{Protocol: toyProtocol, Scenario: fam, Seed: seed})
			if res.Failed() {
				t.Errorf("%s seed %d: %v", fam, seed, res.Violations)
			}
			if want := 12 * len(res.Powers); res.Decided < want {
				t.Errorf("%s seed %d: decided %d heights over all nodes, want at least %d", fam, seed, res.Decided, want)
			}
			if fam == "lossy" && res.Dropped == 0 {
				t.Errorf("lossy seed %d dropped nothing", seed)
			}
			crashes += res.Crashes
		}
	}
	if crashes == 0 {
		t.Error("the crash family crashed nothing")
	}
}

// Positive controls: the checker must catch the naive core's unsafety.
func TestCheckerCatchesEquivocationAgainstNaiveCore(t *testing.T) {
	res, ok := firstViolation(t, Options{Protocol: toyProtocol, Scenario: "equivocate"}, "agreement", 10)
	if !ok {
		t.Fatal("no agreement violation in 10 seeds of an equivocating proposer against a core that decides the first proposal")
	}
	t.Logf("caught: %v", res.Violations[0])
}

func TestCheckerCatchesTwinsAgainstNaiveCore(t *testing.T) {
	if _, ok := firstViolation(t, Options{Protocol: toyProtocol, Scenario: "twins"}, "agreement", 10); !ok {
		t.Fatal("no agreement violation in 10 seeds of twins against the naive core")
	}
}

func TestCheckerCatchesInvalidDecisions(t *testing.T) {
	if _, ok := firstViolation(t, Options{Protocol: toyProtocol, Scenario: "invalid"}, "validity", 10); !ok {
		t.Fatal("the naive core never asks for verdicts, yet no validity violation in 10 seeds")
	}
}

func TestCheckerCatchesDoubleSignAfterRestart(t *testing.T) {
	forgetful := toyVariant("forgetful", func(c *toyCore) { c.forgetProposals = true })
	res, ok := firstViolation(t, Options{Protocol: forgetful, Scenario: "crash"}, "double-sign", 20)
	if !ok {
		t.Fatal("a core that proposes anew after every restart was never caught double signing")
	}
	t.Logf("caught: %v", res.Violations[0])
}

func TestCheckerCatchesEvidenceAgainstHonest(t *testing.T) {
	accuser := toyVariant("accuser", func(c *toyCore) { c.accuseHonest = true })
	if _, ok := firstViolation(t, Options{Protocol: accuser, Scenario: "happy"}, "evidence", 3); !ok {
		t.Fatal("evidence against an honest validator went unreported")
	}
}

func TestCheckerCatchesRefusedHonestCheckpoints(t *testing.T) {
	refuser := toyVariant("refuser", func(c *toyCore) { c.checkpoints = true })
	refuser.StableViews = true // the rule holds the protocol with stable views (PBFT) only
	res, ok := firstViolation(t, Options{Protocol: refuser, Scenario: "happy"}, "refused", 3)
	if !ok {
		t.Fatal("a core that refuses every honest CHECKPOINT as invalid passed the checker")
	}
	t.Logf("caught: %v", res.Violations[0])
}

func TestCheckerCatchesStalls(t *testing.T) {
	stuck := toyVariant("stuck", func(c *toyCore) { c.neverDecide = true })
	res, ok := firstViolation(t, Options{Protocol: stuck, Scenario: "happy"}, "liveness", 1)
	if !ok {
		t.Fatal("a core that never decides passed the liveness check")
	}
	if res.End < defaultLivenessBound {
		t.Errorf("stall reported at %v, before the bound", res.End)
	}
}

// toyStable is the toy protocol reporting as its stable checkpoint what
// report makes of its last executed height and application hash.
func toyStable(name string, report func(executed int64, appHash []byte) (int64, []byte)) Protocol {
	p := toyVariant(name, func(*toyCore) {})
	p.Stable = func(core consensus.Core) (int64, []byte, bool) {
		c := core.(*toyCore)
		if c.height < 2 || c.appHash == nil { // none yet, or restarted
			return 0, nil, false
		}
		h, hash := report(c.height-1, c.appHash)
		return h, hash, true
	}
	return p
}

// The stable-checkpoint check passes a core whose stable checkpoint is its
// own last executed height and hash, and catches one that claims a height
// nobody executed or another hash.
func TestCheckerCatchesStableCheckpointsNobodySigned(t *testing.T) {
	truthful := toyStable("truthful", func(h int64, hash []byte) (int64, []byte) { return h, hash })
	for seed := uint64(1); seed <= 3; seed++ {
		if res := run(t, Options{Protocol: truthful, Scenario: "crash", Seed: seed}); slices.Contains(kinds(res), "stable") {
			t.Fatalf("seed %d: a truthful stable checkpoint was reported: %v", seed, res.Violations)
		}
	}
	for _, liar := range []Protocol{
		toyStable("ahead", func(h int64, hash []byte) (int64, []byte) { return h + 40, hash }),
		toyStable("made-up", func(h int64, _ []byte) (int64, []byte) { return h, []byte("made up") }),
	} {
		res, ok := firstViolation(t, Options{Protocol: liar, Scenario: "happy"}, "stable", 1)
		if !ok {
			t.Fatalf("%s: a stable checkpoint nobody signed went unreported", liar.Name)
		}
		t.Logf("%s caught: %v", liar.Name, res.Violations[0])
	}
}

func TestForgedMessagesAreDroppedNotDelivered(t *testing.T) {
	bad := 0
	for seed := uint64(1); seed <= 5; seed++ {
		res := run(t, Options{Protocol: toyProtocol, Scenario: "mutate", Seed: seed})
		bad += res.BadSignatures
		if slices.Contains(kinds(res), "bad-action") {
			t.Errorf("seed %d: %v", seed, res.Violations)
		}
	}
	if bad == 0 {
		t.Error("the mutate family forged nothing that receivers dropped")
	}
}

func TestByzantinePowerStaysBelowOneThird(t *testing.T) {
	for seed := uint64(1); seed <= 60; seed++ {
		fam := Families[int(seed)%len(Families)]
		w, err := newWorld(Options{Protocol: toyProtocol, Scenario: fam, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		var byz int64
		for v, honest := range w.honestVal {
			if !honest {
				byz += w.genesis.Power(int32(v))
			}
		}
		if w.genesis.IsOneThird(byz) || byz*3 == w.genesis.TotalPower() {
			t.Errorf("%s seed %d: Byzantine power %d of %d", fam, seed, byz, w.genesis.TotalPower())
		}
		if w.byzantineFamily() && byz == 0 {
			t.Errorf("%s seed %d: no Byzantine validator", fam, seed)
		}
		if n := w.genesis.Size(); n != 4 && n != 7 && n != 10 {
			t.Errorf("seed %d: %d validators", seed, n)
		}
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	bad := []Options{
		{Scenario: "happy"},
		{Protocol: toyProtocol, Scenario: "nosuch"},
		{Protocol: toyProtocol, Scenario: "happy", Powers: "lumpy"},
		{Protocol: toyProtocol, Scenario: "happy", Validators: -1},
	}
	for _, o := range bad {
		if _, err := Run(o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

func TestSweepOutputIsDeterministicAndParsable(t *testing.T) {
	so := SweepOptions{Protocols: []Protocol{toyProtocol}, Scenarios: []string{"happy", "equivocate"}, Start: 1, Seeds: 6}
	var one, four bytes.Buffer
	so.Parallel = 1
	sums, err := Sweep(so, &one)
	if err != nil {
		t.Fatal(err)
	}
	so.Parallel = 4
	if _, err := Sweep(so, &four); err != nil {
		t.Fatal(err)
	}
	if one.String() != four.String() {
		t.Fatalf("output depends on parallelism:\n%s\n---\n%s", one.String(), four.String())
	}
	var d, v int
	if _, err := fmt.Sscanf(lastLineWith(one.String(), "scenario=happy"), "sim protocol=toy scenario=happy seeds=6 decided=%d violations=%d", &d, &v); err != nil || d == 0 || v != 0 {
		t.Errorf("happy summary: d=%d v=%d err=%v\n%s", d, v, err, one.String())
	}
	if sums[1].Violations == 0 || !strings.Contains(one.String(), "replay: go run ./cmd/bftsim -protocol toy -scenario equivocate -seed ") {
		t.Errorf("equivocation failures not reported with a replay command:\n%s", one.String())
	}
}

func lastLineWith(s, sub string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "sim ") && strings.Contains(lines[i], sub) {
			return lines[i]
		}
	}
	return ""
}

func TestReplayCommandCarriesOverrides(t *testing.T) {
	res := run(t, Options{Protocol: toyProtocol, Scenario: "equivocate", Seed: 3, Validators: 4, Byzantine: 2, Powers: "equal"})
	want := "go run ./cmd/bftsim -protocol toy -scenario equivocate -seed 3 -validators 4 -powers equal -byzantine 2 -v"
	if got := res.ReplayCommand(); got != want {
		t.Fatalf("replay command %q, want %q", got, want)
	}
	if len(res.Byzantine) != 2 {
		t.Fatalf("Byzantine %v, want 2 validators", res.Byzantine)
	}
}

var _ consensus.Core = (*toyCore)(nil)

// Options other packages may pass (tiny networks, everyone Byzantine)
// must run, not hang or panic.
func TestTinyNetworksRun(t *testing.T) {
	for _, n := range []int{1, 2, 3} {
		for _, fam := range Families {
			if _, err := Run(Options{Protocol: toyProtocol, Scenario: fam, Seed: 1, Validators: n, Heights: 3}); err != nil {
				t.Fatalf("%d validators, %s: %v", n, fam, err)
			}
			if _, err := Run(Options{Protocol: toyProtocol, Scenario: fam, Seed: 1, Validators: n, Byzantine: n, Heights: 3}); err != nil {
				t.Fatalf("%d validators all Byzantine, %s: %v", n, fam, err)
			}
		}
	}
}
