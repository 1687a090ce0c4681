package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bftnode/bftnode/bench"
)

// The block-rate part of `make disk`: how the batching window (engine/
// batch.go) follows what a block costs the application. Four validators,
// each backed by the built-in kvstore in a process of its own (`bftnode
// app`) whose --commit-delay adds a fixed cost to every block as a Cosmos
// SDK app's Commit does, under a light load with no block time set
// (timeout_commit = 0): the blocks a second, transactions per block and
// latency for each delay.
var (
	blockRateDelays = []time.Duration{0, 10 * time.Millisecond, 50 * time.Millisecond}
	blockRateRate   = 100.0 // transactions per second, over 16 senders
)

// TestBlockRateFollowsTheAppsBlockCost runs only when BLOCKRATE_SECONDS
// is set (make disk).
func TestBlockRateFollowsTheAppsBlockCost(t *testing.T) {
	secs, _ := strconv.Atoi(os.Getenv("BLOCKRATE_SECONDS"))
	if secs <= 0 {
		t.Skip("set BLOCKRATE_SECONDS (make disk) to measure the block rate against the app's block cost")
	}
	var rows []blockRateRow
	for _, protocol := range rpcProtocols() {
		for _, d := range blockRateDelays {
			t.Run(fmt.Sprintf("%s/%v", protocol, d), func(t *testing.T) {
				row := measureBlockRate(t, protocol, d, time.Duration(secs)*time.Second)
				t.Logf("%s, %v per block: %.1f blocks/s, %.1f txs/block, p50 %.0f ms, p99 %.0f ms, %d lost",
					protocol, d, row.blocksPerSec(), row.res.TxsPerBlock, row.res.Latency.P50, row.res.Latency.P99, row.res.Lost)
				if row.res.Lost > 0 {
					t.Errorf("%d acknowledged transactions never committed", row.res.Lost)
				}
				rows = append(rows, row)
			})
		}
	}
	if report := os.Getenv("DISK_REPORT"); report != "" && !t.Failed() {
		if err := bench.ReplaceSectionInFile(report, "blockrate", blockRateReport(rows, secs)); err != nil {
			t.Fatal(err)
		}
	}
}

type blockRateRow struct {
	protocol string
	delay    time.Duration
	res      *bench.Result
}

// blocksPerSec counts the blocks seen over the send window and the grace
// period that followed it, when only the last transactions still came.
func (r blockRateRow) blocksPerSec() float64 {
	return float64(r.res.Blocks) / (r.res.DurationSec + r.res.GraceSec)
}

func measureBlockRate(t *testing.T, protocol string, delay, window time.Duration) blockRateRow {
	ctx, cancel := context.WithTimeout(context.Background(), window+5*time.Minute)
	defer cancel()
	c := startTestCluster(ctx, t, Options{Protocol: protocol, Validators: 4, ExternalApp: true, App: AppBuiltin},
		func(c *Cluster) error {
			for _, n := range c.Nodes {
				n.AppArgs = []string{"--commit-delay", delay.String()}
			}
			return nil
		})
	cfg := bench.DefaultConfig()
	cfg.System, cfg.Workload = "bftnode-"+protocol, fmt.Sprintf("light, %v per block", delay)
	cfg.Endpoints = nil
	for _, n := range c.Nodes {
		cfg.Endpoints = append(cfg.Endpoints, "http://"+n.RPCAddr)
	}
	cfg.Senders, cfg.Rate, cfg.Duration, cfg.Grace = 16, blockRateRate, window, 5*time.Second
	res, err := bench.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return blockRateRow{protocol: protocol, delay: delay, res: res}
}

func blockRateReport(rows []blockRateRow, secs int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Blocks against the application's cost per block\n\n")
	fmt.Fprintf(&b, "Measured %s: four validators, each backed by the built-in kvstore in a process of its own "+
		"(`bftnode app`) over TCP, its Commit made slower by each `--commit-delay` below (a fixed cost per block, "+
		"as a Cosmos SDK app's Commit), "+
		"no block time (`timeout_commit = 0`), %.0f tx/s from 16 senders for %ds (the generator of `make bench`; "+
		"blocks counted over the send window and 5 s after it). The proposer holds a block whose waiting "+
		"transactions cost less to execute than a block's measured fixed cost for up to that cost "+
		"(engine/batch.go).\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), blockRateRate, secs)
	b.WriteString("| protocol | app's cost per block | blocks/s | txs/block | latency p50 | p99 | committed / sent | lost |\n" +
		"|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %v | %.1f | %.1f | %.0f ms | %.0f ms | %d / %d | %d |\n", r.protocol, r.delay,
			r.blocksPerSec(), r.res.TxsPerBlock, r.res.Latency.P50, r.res.Latency.P99, r.res.Committed, r.res.Sent, r.res.Lost)
	}
	return b.String()
}
