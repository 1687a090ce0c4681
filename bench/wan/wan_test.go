package wan

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bftnode/bftnode/bench"
	"github.com/bftnode/bftnode/internal/faultproxy"
)

func TestSignersCountsCommitAndNilVotesButNotAbsentOnes(t *testing.T) {
	body := []byte(`{"jsonrpc":"2.0","id":1,"result":{"block":{"header":{"height":"7","proposer_address":"AB"},
		"last_commit":{"signatures":[{"block_id_flag":2},{"block_id_flag":1},{"block_id_flag":3},{"block_id_flag":2}]}}}}`)
	var b blockInfo
	if err := decodeResult(body, &b); err != nil {
		t.Fatal(err)
	}
	if signed, of := b.signers(); signed != 3 || of != 4 {
		t.Errorf("signers = %d of %d; want 3 of 4 (commit, nil and commit sign; absent does not)", signed, of)
	}
	if b.Block.Header.ProposerAddress != "AB" {
		t.Errorf("proposer %q; want AB", b.Block.Header.ProposerAddress)
	}
}

func TestSignersReadsCometBFTsBlock(t *testing.T) {
	body, err := os.ReadFile("../../../shared/reference/cometbft-v0.38-rpc/block.json")
	if err != nil {
		t.Skipf("CometBFT's reference capture is not here: %v", err)
	}
	var b blockInfo
	if err := decodeResult(body, &b); err != nil {
		t.Fatal(err)
	}
	if signed, of := b.signers(); of == 0 || signed != of {
		t.Errorf("CometBFT's captured block: %d signed of %d; want every validator of a non-empty commit", signed, of)
	}
}

func TestDecodeResultReportsTheRPCError(t *testing.T) {
	err := decodeResult([]byte(`{"jsonrpc":"2.0","id":1,"error":{"code":-32603,"message":"Internal error","data":"height 9 is not available"}}`), &struct{}{})
	if err == nil || !strings.Contains(err.Error(), "height 9 is not available") {
		t.Errorf("error %v; want the node's message", err)
	}
}

func TestHeightSeriesStallAndBlocks(t *testing.T) {
	t0 := time.Unix(100, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	var s heightSeries
	for i, ms := range []int{0, 200, 400, 600} {
		s.note(at(ms), int64(10+i))
	}
	s.note(at(650), 13) // no growth: ignored
	kill := at(700)
	s.note(at(3700), 14) // the stall: 3.1 s after the last growth, 3 s after the kill
	s.note(at(3900), 15)
	if got := s.medianInterval(kill); got != 200*time.Millisecond {
		t.Errorf("usual interval %v; want 200ms", got)
	}
	if got := s.blocksAfter(kill); got != 2 {
		t.Errorf("blocks after the kill %d; want 2", got)
	}
	if got := s.longestGap(kill, at(4000)); got != 3*time.Second {
		t.Errorf("longest stall %v; want 3s (from the kill to the next block)", got)
	}
	if got := s.longestGap(kill, at(9000)); got != 5100*time.Millisecond {
		t.Errorf("a chain still standing at the end: stall %v; want 5.1s (the last block to the end)", got)
	}
}

func TestReportSectionShowsEveryMeasurementAndFailure(t *testing.T) {
	light := &bench.Result{TxPerSec: 49, Latency: bench.LatencySummary{P50: 420, P99: 900}}
	o := Options{Protocols: []string{"tendermint", "pbft"}, CometBFT: true, Sizes: []int{4},
		Regions: faultproxy.DefaultRegions(), Light: Workload{Name: "light", Senders: 1, TxSize: 64, Rate: 50, Duration: time.Second},
		Recovery: true, SweepRTTs: []time.Duration{100 * time.Millisecond}, SweepSize: 4, Markdown: "BENCHMARKS.md", RawDir: "bin/wan"}
	out := &Outcome{
		Cells: []Cell{
			{System: "cometbft", Validators: 4, Light: light, LightBlocksPerSec: 1.5, FullCommits: 9, CommitsChecked: 10,
				Recovery: &Recovery{StallSec: 5.5, BaselineSec: 0.7, FirstBlockSec: 0.1}},
			{System: "bftnode-tendermint", Validators: 4, Error: "bftnode testnet: boom"},
		},
		Sweep: []SweepPoint{{System: "bftnode-pbft", RTTms: 100, Light: light}},
	}
	var b strings.Builder
	writeSection(&b, o, out)
	s := b.String()
	for _, want := range []string{
		"| 4 | light: committed tx/s | 49 | failed | — |",
		"| 4 | LastCommits with every validator | 90.0% (9 of 10) | failed | — |",
		"5.50 s (0.70 s)",
		"bftnode-tendermint at 4 validators: bftnode testnet: boom",
		"| 100ms | — | — | 420 ms / 900 ms |",
		"| europe | 10 | 80 | 150 | 220 |",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("the section lacks %q:\n%s", want, s)
		}
	}
}

func TestChartDrawsEachSystemsPoints(t *testing.T) {
	r := func(p50 float64) *bench.Result {
		return &bench.Result{Latency: bench.LatencySummary{P50: p50, P99: 2 * p50}}
	}
	pts := []SweepPoint{
		{System: "a", RTTms: 100, Light: r(300)}, {System: "a", RTTms: 0, Light: r(20)},
		{System: "b", RTTms: 0, Error: "failed"},
	}
	series := sweepSeries([]string{"a", "b"}, pts)
	if len(series) != 2 || len(series[0].RTT) != 2 || series[0].RTT[0] != 0 || len(series[1].RTT) != 0 {
		t.Fatalf("series %+v; want a's two points sorted by RTT and none for b", series)
	}
	svg := latencyChart("t", series)
	if strings.Count(svg, "<polyline") != 2 || strings.Count(svg, "<circle") != 4 || !strings.HasSuffix(svg, "</svg>\n") {
		t.Errorf("want a p50 and a p99 line of two points for a:\n%s", svg)
	}
}
