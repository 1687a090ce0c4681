package sim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/bftnode/bftnode/pbft"
	"github.com/bftnode/bftnode/sim"
	"github.com/bftnode/bftnode/sim/protocols"
	"github.com/bftnode/bftnode/tendermint"
)

func uniform(rtt time.Duration) *sim.Links {
	return &sim.Links{RTT: [][]time.Duration{{rtt}}, Jitter: 0.1}
}

func scaleRun(t *testing.T, p sim.Protocol, n int, links *sim.Links) sim.ScaleSummary {
	t.Helper()
	res, err := sim.Run(sim.Options{Protocol: p, Scenario: "happy", Seed: 1, Validators: n, Powers: "equal", Heights: 6, Links: links})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() {
		t.Fatalf("%s at n=%d: %v", p.Name, n, res.Violations[0])
	}
	s, ok := sim.Summarise(res)
	if !ok {
		t.Fatalf("%s at n=%d: no scale summary from %+v", p.Name, n, res.Scale)
	}
	return s
}

// The link model sets the pace: a block needs at least three one-way
// message delays in both protocols (proposal, prevote, precommit;
// PRE-PREPARE, PREPARE, COMMIT), so with a 200 ms round trip no height
// can take less than 300 ms, where the default 1-10 ms network takes a
// few tens.
func TestScaleLinksSetThePace(t *testing.T) {
	for _, p := range []sim.Protocol{protocols.Tendermint(protocols.TendermintConfig()), protocols.PBFT(protocols.PBFTConfig())} {
		s := scaleRun(t, p, 4, uniform(200*time.Millisecond))
		if s.Interval < 270*time.Millisecond || s.Heights < 6 {
			t.Errorf("%s: %d heights, one every %v over 200 ms round trips; want at least 6, at least 3 × 90 ms apart", p.Name, s.Heights, s.Interval)
		}
		if s.BytesPerNode <= 0 || s.MessagesPerNode <= 0 {
			t.Errorf("%s: no traffic counted: %+v", p.Name, s)
		}
	}
}

// Every validator sends its votes to every other in both protocols, so
// the messages each node sends per block grow about linearly with n (the
// network's total quadratically).
func TestScaleMessagesGrowWithN(t *testing.T) {
	for _, p := range []sim.Protocol{protocols.Tendermint(protocols.TendermintConfig()), protocols.PBFT(protocols.PBFTConfig())} {
		small := scaleRun(t, p, 4, uniform(20*time.Millisecond))
		large := scaleRun(t, p, 16, uniform(20*time.Millisecond))
		if ratio := large.MessagesPerNode / small.MessagesPerNode; ratio < 3 {
			t.Errorf("%s: %.1f messages per block per node at n=4, %.1f at n=16 (×%.1f); want about ×5 (15 peers against 3)",
				p.Name, small.MessagesPerNode, large.MessagesPerNode, ratio)
		}
	}
}

func TestScaleRefusesBadLinks(t *testing.T) {
	_, err := sim.Run(sim.Options{Protocol: protocols.Tendermint(protocols.TendermintConfig()), Scenario: "happy", Seed: 1,
		Links: &sim.Links{RTT: [][]time.Duration{{time.Millisecond, 0}}}})
	if err == nil {
		t.Error("a matrix with a row of the wrong length was accepted")
	}
}

// A proposer whose uplink carries 2 MB/s needs 1.5 seconds to send a
// 1 MB block to three peers: the uplink model charges every copy. (The
// nodes' default timeouts, not the simulator's short ones, leave the
// proposal that long to arrive.)
func TestScaleUplinkChargesEveryCopyOfTheBlock(t *testing.T) {
	links := uniform(20 * time.Millisecond)
	links.BlockBytes, links.Uplink = 1_000_000, 2_000_000
	for _, p := range []sim.Protocol{protocols.Tendermint(tendermint.DefaultConfig()), protocols.PBFT(pbft.DefaultConfig())} {
		s := scaleRun(t, p, 4, links)
		if s.Interval < 1500*time.Millisecond {
			t.Errorf("%s: a height every %v; want at least 1.5s (three 1 MB copies at 2 MB/s)", p.Name, s.Interval)
		}
	}
}

// A silent validator 0 costs PBFT a view change (its primary of view 0)
// and Tendermint a round at each of its turns; both keep deciding.
func TestScaleSilentFirstValidatorForcesAViewChange(t *testing.T) {
	links := uniform(40 * time.Millisecond)
	links.Silent = 1
	for _, p := range []sim.Protocol{protocols.Tendermint(protocols.TendermintConfig()), protocols.PBFT(protocols.PBFTConfig())} {
		res, err := sim.Run(sim.Options{Protocol: p, Scenario: "happy", Seed: 1, Validators: 4, Powers: "equal", Heights: 6, Links: links})
		if err != nil {
			t.Fatal(err)
		}
		if res.Failed() {
			t.Fatalf("%s: %v", p.Name, res.Violations[0])
		}
		if res.MaxRound < 1 {
			t.Errorf("%s: highest round or view %d with validator 0 silent; want at least 1", p.Name, res.MaxRound)
		}
		if p.Name == "pbft" && res.Scale.MessagesByKind["view-change"] == 0 {
			t.Errorf("pbft: no VIEW-CHANGE sent with the primary silent: %v", res.Scale.MessagesByKind)
		}
	}
}

// Falling silent later, PBFT's primary of view 0 still costs one view
// change, and the heights decided before it count.
func TestScaleSilentLater(t *testing.T) {
	links := uniform(40 * time.Millisecond)
	links.Silent, links.SilentAt = 1, 500*time.Millisecond
	res, err := sim.Run(sim.Options{Protocol: protocols.PBFT(protocols.PBFTConfig()), Scenario: "happy", Seed: 1, Validators: 4, Powers: "equal", Heights: 12, Links: links})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() || res.MaxRound != 1 || res.Scale.MessagesByKind["view-change"] == 0 {
		t.Fatalf("violations %v, highest view %d, messages %v; want one view change and no violation", res.Violations, res.MaxRound, res.Scale.MessagesByKind)
	}
	if first := res.Scale.LastExecuted[0]; first >= links.SilentAt {
		t.Errorf("the first height was executed at %v, after the primary fell silent at %v: the test no longer silences it mid-run", first, links.SilentAt)
	}
}

// A node given more to send than its uplink carries ends the run with a
// liveness violation instead of queueing without bound.
func TestScaleUplinkBacklogEndsTheRun(t *testing.T) {
	links := uniform(20 * time.Millisecond)
	links.BlockBytes, links.Uplink = 1_000_000, 10_000 // 100 s per block copy
	p := protocols.PBFT(pbft.DefaultConfig())
	res, err := sim.Run(sim.Options{Protocol: p, Scenario: "happy", Seed: 1, Validators: 4, Powers: "equal", Heights: 6, Links: links})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Failed() || !strings.Contains(res.Violations[0].Detail, "uplink") {
		t.Fatalf("violations %v; want the uplink backlog reported", res.Violations)
	}
}
