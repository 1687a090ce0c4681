package wan

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/bftnode/bftnode/bench"
	"github.com/bftnode/bftnode/internal/benchnet"
	"github.com/bftnode/bftnode/internal/faultproxy"
)

// Workload is one load of the benchmark.
type Workload struct {
	Name     string
	Senders  int
	TxSize   int
	Rate     float64 // 0: as fast as the nodes answer
	Duration time.Duration
}

// Options configure a run.
type Options struct {
	Markdown string // BENCHMARKS.md, whose bench-wan section is replaced; "" writes none
	ChartDir string // where the latency-against-RTT chart goes (committed)
	RawDir   string // JSON of every measurement (not committed)
	CacheDir string // where CometBFT's tools are installed
	WorkDir  string // the networks' homes and logs; "" makes a temporary one
	Bftnode  string

	Protocols []string // bftnode's protocols
	CometBFT  bool     // measure CometBFT too
	// CometTimeoutCommit is CometBFT's timeout_commit.
	CometTimeoutCommit time.Duration
	Sizes              []int
	Regions            faultproxy.Regions
	Light, Saturation  Workload
	Grace              time.Duration
	// Recovery kills the proposer of each network after its loads.
	Recovery bool
	// SweepRTTs are the uniform round trips of the latency-against-RTT
	// sweep, each at SweepSize validators under the light load.
	SweepRTTs []time.Duration
	SweepSize int
	Command   string
	Log       io.Writer
}

// Cell is what one system measured at one network size.
type Cell struct {
	System     string        `json:"system"`
	Validators int           `json:"validators"`
	Light      *bench.Result `json:"light,omitempty"`
	Saturation *bench.Result `json:"saturation,omitempty"`
	// LightBlocksPerSec and SatBlocksPerSec are the heights decided per
	// second over each load's run, settling included.
	LightBlocksPerSec float64 `json:"light_blocks_per_sec"`
	SatBlocksPerSec   float64 `json:"sat_blocks_per_sec"`
	// FullCommits of CommitsChecked blocks carried every validator's
	// signature in their LastCommit, all validators live.
	FullCommits    int       `json:"full_commits"`
	CommitsChecked int       `json:"commits_checked"`
	Recovery       *Recovery `json:"recovery,omitempty"`
	Error          string    `json:"error,omitempty"`
}

// SweepPoint is one system's light load at one uniform round trip.
type SweepPoint struct {
	System       string        `json:"system"`
	RTTms        float64       `json:"rtt_ms"`
	Light        *bench.Result `json:"light,omitempty"`
	BlocksPerSec float64       `json:"blocks_per_sec"`
	Error        string        `json:"error,omitempty"`
}

// Outcome is everything a run measured.
type Outcome struct {
	Started    time.Time    `json:"started"`
	Finished   time.Time    `json:"finished"`
	LoadBefore string       `json:"load_before"`
	LoadAfter  string       `json:"load_after"`
	Cells      []Cell       `json:"cells"`
	Sweep      []SweepPoint `json:"sweep"`
	Chart      string       `json:"chart"`
}

// Systems lists the systems in report order.
func (o Options) Systems() []string {
	var out []string
	if o.CometBFT {
		out = append(out, "cometbft")
	}
	for _, p := range o.Protocols {
		out = append(out, "bftnode-"+p)
	}
	return out
}

// Run measures every system at every size, then the sweep, and writes
// the raw results, the chart and the report section. A network that fails
// is recorded in its cell and the run goes on.
func Run(ctx context.Context, o Options) (*Outcome, error) {
	if err := o.Regions.Validate(); err != nil {
		return nil, err
	}
	if len(o.Systems()) == 0 || len(o.Sizes) == 0 {
		return nil, errors.New("bench-wan: nothing to measure: give at least one system and one size")
	}
	for _, dir := range []string{o.RawDir, o.ChartDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("creating %s: %w", dir, err)
		}
	}
	if o.WorkDir == "" {
		dir, err := os.MkdirTemp("", "bftnode-wan-")
		if err != nil {
			return nil, err
		}
		o.WorkDir = dir
	}
	tools, err := benchnet.Install(ctx, o.CacheDir, o.Bftnode, o.Log)
	if err != nil {
		return nil, err
	}
	out := &Outcome{Started: time.Now(), LoadBefore: loadAverage()}
	fmt.Fprintf(o.Log, "bench-wan: homes and logs in %s; load average %s\n", o.WorkDir, out.LoadBefore)
	for _, size := range o.Sizes {
		for _, sys := range o.Systems() {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			cell := measureCell(ctx, o, tools, sys, size)
			out.Cells = append(out.Cells, cell)
			if err := writeJSON(filepath.Join(o.RawDir, fmt.Sprintf("%s-%d.json", sys, size)), cell); err != nil {
				return nil, err
			}
		}
	}
	for _, rtt := range o.SweepRTTs {
		for _, sys := range o.Systems() {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			pt := measureSweep(ctx, o, tools, sys, rtt)
			out.Sweep = append(out.Sweep, pt)
			if err := writeJSON(filepath.Join(o.RawDir, fmt.Sprintf("sweep-%s-%dms.json", sys, rtt.Milliseconds())), pt); err != nil {
				return nil, err
			}
		}
	}
	out.Finished, out.LoadAfter = time.Now(), loadAverage()
	return out, writeReport(o, out)
}

// start brings up one system's network.
func start(ctx context.Context, o Options, t benchnet.Tools, sys, dir string, l benchnet.Layout) (*benchnet.Network, error) {
	if sys == "cometbft" {
		return benchnet.StartCometBFTLayout(ctx, t, dir, o.CometTimeoutCommit, l)
	}
	return benchnet.StartBftnodeLayout(ctx, t, dir, sys[len("bftnode-"):], l)
}

func measureCell(ctx context.Context, o Options, t benchnet.Tools, sys string, size int) Cell {
	cell := Cell{System: sys, Validators: size}
	regions := o.Regions
	dir := filepath.Join(o.WorkDir, fmt.Sprintf("%s-%d", sys, size))
	fmt.Fprintf(o.Log, "bench-wan: %s, %d validators\n", sys, size)
	n, err := start(ctx, o, t, sys, dir, benchnet.Layout{Validators: size, Regions: &regions})
	if err != nil {
		cell.Error = err.Error()
		fmt.Fprintf(o.Log, "bench-wan: %s at %d: %v\n", sys, size, err)
		return cell
	}
	defer n.Stop()
	fail := func(err error) Cell {
		cell.Error = err.Error()
		fmt.Fprintf(o.Log, "bench-wan: %s at %d: %v\n", sys, size, err)
		return cell
	}
	from, err := height(ctx, n.RPCs[0])
	if err != nil {
		return fail(err)
	}
	if cell.Light, cell.LightBlocksPerSec, err = runLoad(ctx, o, n, sys, o.Light); err != nil {
		return fail(err)
	}
	if o.Saturation.Duration > 0 {
		if cell.Saturation, cell.SatBlocksPerSec, err = runLoad(ctx, o, n, sys, o.Saturation); err != nil {
			return fail(err)
		}
	}
	to, err := height(ctx, n.RPCs[0])
	if err != nil {
		return fail(err)
	}
	if cell.FullCommits, cell.CommitsChecked, err = fullCommits(ctx, n.RPCs[0], from+1, to); err != nil {
		return fail(err)
	}
	if dead := n.Dead(); dead != "" {
		return fail(fmt.Errorf("before the kill: %s", dead))
	}
	if o.Recovery {
		if cell.Recovery, err = measureRecovery(ctx, n); err != nil {
			return fail(fmt.Errorf("recovery: %w", err))
		}
		fmt.Fprintf(o.Log, "bench-wan: killed node%d: stall %.2fs, first block after %.2fs, %d blocks in %.0fs\n",
			cell.Recovery.Killed, cell.Recovery.StallSec, cell.Recovery.FirstBlockSec, cell.Recovery.BlocksAfter, cell.Recovery.WindowSec)
	}
	return cell
}

func measureSweep(ctx context.Context, o Options, t benchnet.Tools, sys string, rtt time.Duration) SweepPoint {
	pt := SweepPoint{System: sys, RTTms: float64(rtt.Milliseconds())}
	regions := faultproxy.UniformRegions(rtt)
	regions.Bandwidth = o.Regions.Bandwidth
	regions.JitterFraction = o.Regions.JitterFraction
	dir := filepath.Join(o.WorkDir, fmt.Sprintf("sweep-%s-%dms", sys, rtt.Milliseconds()))
	fmt.Fprintf(o.Log, "bench-wan: sweep %s, %d validators, uniform RTT %v\n", sys, o.SweepSize, rtt)
	n, err := start(ctx, o, t, sys, dir, benchnet.Layout{Validators: o.SweepSize, Regions: &regions})
	if err != nil {
		pt.Error = err.Error()
		return pt
	}
	defer n.Stop()
	if pt.Light, pt.BlocksPerSec, err = runLoad(ctx, o, n, sys, o.Light); err != nil {
		pt.Error = err.Error()
	}
	return pt
}

// runLoad runs one workload and measures blocks/s over it.
func runLoad(ctx context.Context, o Options, n *benchnet.Network, sys string, w Workload) (*bench.Result, float64, error) {
	select {
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	case <-time.After(2 * time.Second): // the previous load's blocks drain
	}
	h0, err := height(ctx, n.RPCs[0])
	if err != nil {
		return nil, 0, err
	}
	began := time.Now()
	res, err := bench.Run(ctx, bench.Config{
		System: sys, Workload: w.Name, Endpoints: n.RPCs, Senders: w.Senders, TxSize: w.TxSize,
		Rate: w.Rate, Duration: w.Duration, Grace: o.Grace, RequestTimeout: 10 * time.Second,
		NetworkCPU: n.CPU,
	})
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", w.Name, err)
	}
	h1, err := height(ctx, n.RPCs[0])
	if err != nil {
		return nil, 0, err
	}
	bench.WriteSummary(o.Log, res)
	return res, float64(h1-h0) / time.Since(began).Seconds(), nil
}

func height(ctx context.Context, rpc string) (int64, error) {
	st, err := getStatus(ctx, rpc)
	if err != nil {
		return 0, err
	}
	return st.height()
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// loadAverage is /proc/loadavg's first three fields, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	var a, b5, c string
	if _, err := fmt.Sscan(string(b), &a, &b5, &c); err != nil {
		return "unknown"
	}
	return a + " " + b5 + " " + c
}
