package main

import (
	"strings"
	"testing"
	"time"

	"github.com/bftnode/bftnode/internal/faultproxy"
	"github.com/bftnode/bftnode/sim"
)

func TestReportGrowthAndFailures(t *testing.T) {
	mk := func(proto string, n int, msgs float64) row {
		return row{protocol: proto, ScaleSummary: sim.ScaleSummary{Validators: n, Heights: 10, MessagesPerNode: msgs, BytesPerNode: 60 * msgs, Interval: 170 * time.Millisecond}}
	}
	rows := []row{mk("tendermint", 4, 8), mk("pbft", 4, 6), mk("tendermint", 16, 32), mk("pbft", 16, 96)}
	rows[1].viewChangeBytes, rows[3].viewChangeBytes = 1000, 256000
	failed := mk("pbft", 32, 0)
	failed.failure = "liveness | at 1m"
	rows = append(rows, failed)
	r := report{opts: options{sizes: []int{4, 16, 32}, heights: 10, blockBytes: 1 << 20, uplink: 125e6, command: "make sim-scale"},
		regions: faultproxy.DefaultRegions(), tables: [][]row{rows, rows, rows}}
	md := r.markdown()
	for _, want := range []string{
		"tendermint's messages per node per block grew ×4.0 for ×4 validators (∝ n^1.00 per node, n^2.00 for the network)",
		"pbft's messages per node per block grew ×16.0 for ×4 validators (∝ n^2.00 per node, n^3.00 for the network)",
		"| 16 | tendermint | 32.0 | 1.9 KiB | 512 | 170ms |",
		"failed: liveness / at 1m",
		"1.0 MiB blocks over a 1000 Mbit/s uplink",
		"×256 the bytes at n = 16 than at n = 4: ∝ n^4.0",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
}
