package suite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/bftnode/bftnode/bench"
	"github.com/bftnode/bftnode/internal/benchnet"
)

// Options configure a suite run.
type Options struct {
	OutDir   string // JSON results and charts
	Markdown string // BENCHMARKS.md to write; "" writes none
	CacheDir string // where CometBFT's tools are installed
	WorkDir  string // the networks' homes and logs; "" makes a temporary one
	Bftnode  string // the bftnode executable

	// TimeoutCommits are CometBFT's timeout_commit values to try; the
	// one with the most committed tx/s in a short saturation probe is
	// used for the workloads.
	TimeoutCommits []time.Duration
	ProbeDuration  time.Duration
	Protocols      []string // bftnode's, each measured as bftnode-<protocol>
	Workloads      []Workload
	Grace          time.Duration
	// Profile saves a CPU profile of bftnode's node0 during saturation.
	Profile bool
	// MicroBench is a file of `go test -bench` output to include.
	MicroBench string
	// Command is how the suite was started, for BENCHMARKS.md.
	Command string
	Log     io.Writer
}

// Outcome is everything a run measured, for the report.
type Outcome struct {
	Started       time.Time
	Finished      time.Time
	Machine       Machine
	LoadBefore    string
	Loads         map[string]string // system -> load average when its runs ended
	Probes        []Probe
	TimeoutCommit time.Duration
	Comparison    *bench.Comparison
	Targets       []bench.Target
	Incidents     []string
	Profiles      map[string]string // system -> CPU profile path
	Charts        map[string]string // workload -> chart path, relative to the markdown
	MicroBench    string
}

// Probe is one timeout_commit tried for CometBFT.
type Probe struct {
	TimeoutCommit time.Duration
	Result        *bench.Result
}

// Run runs the suite and writes its outputs.
func Run(ctx context.Context, o Options) (*Outcome, error) {
	if len(o.Workloads) == 0 || len(o.TimeoutCommits) == 0 {
		return nil, errors.New("the suite needs at least one workload and one timeout_commit to try")
	}
	if err := os.MkdirAll(o.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the results directory: %w", err)
	}
	if o.WorkDir == "" {
		dir, err := os.MkdirTemp("", "bftnode-bench-")
		if err != nil {
			return nil, err
		}
		o.WorkDir = dir
	}
	tools, err := benchnet.Install(ctx, o.CacheDir, o.Bftnode, o.Log)
	if err != nil {
		return nil, err
	}
	out := &Outcome{Started: time.Now(), Machine: DescribeMachine(), LoadBefore: LoadAverage(),
		Loads: map[string]string{}, Profiles: map[string]string{}, Charts: map[string]string{}}
	fmt.Fprintf(o.Log, "bench: homes and logs in %s; load average %s\n", o.WorkDir, out.LoadBefore)

	if out.TimeoutCommit, err = probeCometBFT(ctx, o, tools, out); err != nil {
		return nil, err
	}
	systems := []string{"cometbft"}
	for _, p := range o.Protocols {
		systems = append(systems, "bftnode-"+p)
	}
	names := make([]string, len(o.Workloads))
	for i, w := range o.Workloads {
		names[i] = w.Name
	}
	out.Comparison = bench.NewComparison(systems, names)
	out.Targets = bench.Targets(Saturation, Light, Large)
	for _, sys := range systems {
		if err := runSystem(ctx, o, tools, sys, out); err != nil {
			return nil, err
		}
	}
	out.Finished = time.Now()
	if err := writeOutputs(o, out); err != nil {
		return nil, err
	}
	return out, nil
}

// probeCometBFT measures a short saturation run for each timeout_commit
// and returns the best.
func probeCometBFT(ctx context.Context, o Options, t benchnet.Tools, out *Outcome) (time.Duration, error) {
	if len(o.TimeoutCommits) == 1 {
		return o.TimeoutCommits[0], nil
	}
	sat := o.Workloads[0]
	for _, w := range o.Workloads {
		if w.Name == Saturation {
			sat = w
		}
	}
	sat.Duration, sat.SampleRSS = o.ProbeDuration, false
	best, bestRate := o.TimeoutCommits[0], -1.0
	for i, tc := range o.TimeoutCommits {
		dir := filepath.Join(o.WorkDir, fmt.Sprintf("cometbft-probe-%d", i))
		fmt.Fprintf(o.Log, "bench: CometBFT with timeout_commit = %v\n", tc)
		n, err := benchnet.StartCometBFT(ctx, t, dir, tc)
		if err != nil {
			return 0, err
		}
		res, err := runWorkload(ctx, o, n, "cometbft", sat, fmt.Sprintf("probe timeout_commit=%v", tc))
		n.Stop()
		if err != nil {
			return 0, err
		}
		out.Probes = append(out.Probes, Probe{TimeoutCommit: tc, Result: res})
		if res.TxPerSec > bestRate {
			best, bestRate = tc, res.TxPerSec
		}
	}
	fmt.Fprintf(o.Log, "bench: CometBFT's best timeout_commit here is %v (%.0f tx/s)\n", best, bestRate)
	return best, nil
}

// runSystem starts one network, runs every workload against it and
// stops it.
func runSystem(ctx context.Context, o Options, t benchnet.Tools, sys string, out *Outcome) error {
	dir := filepath.Join(o.WorkDir, sys)
	var n *benchnet.Network
	var err error
	if sys == "cometbft" {
		fmt.Fprintf(o.Log, "bench: starting CometBFT %s (timeout_commit %v)\n", benchnet.CometBFTVersion, out.TimeoutCommit)
		n, err = benchnet.StartCometBFT(ctx, t, dir, out.TimeoutCommit)
	} else {
		protocol := sys[len("bftnode-"):]
		fmt.Fprintf(o.Log, "bench: starting bftnode (%s)\n", protocol)
		n, err = benchnet.StartBftnode(ctx, t, dir, protocol)
	}
	if err != nil {
		return err
	}
	defer n.Stop()
	for _, w := range o.Workloads {
		var sampler *benchnet.RSSSampler
		if w.SampleRSS {
			sampler = n.SampleRSS(500 * time.Millisecond)
		}
		var profiled chan string
		if o.Profile && w.Name == Saturation && len(n.Pprof) > 0 {
			profiled = make(chan string, 1)
			go func() {
				profiled <- captureProfile(ctx, n.Pprof[0], w.Duration, filepath.Join(o.WorkDir, "cpu-"+sys+".pprof"), o.Log)
			}()
		}
		res, err := runWorkload(ctx, o, n, sys, w, w.Name)
		if sampler != nil {
			rss, rerr := sampler.Stop()
			if rerr != nil {
				out.Incidents = append(out.Incidents, fmt.Sprintf("%s %s: %v", sys, w.Name, rerr))
			}
			if res != nil {
				res.RSS = rss
			}
		}
		if profiled != nil {
			if p := <-profiled; p != "" {
				out.Profiles[sys] = p
			}
		}
		if err != nil {
			return err
		}
		if dead := n.Dead(); dead != "" {
			out.Incidents = append(out.Incidents, fmt.Sprintf("%s during %s: %s", sys, w.Name, dead))
		}
		if err := res.WriteJSON(filepath.Join(o.OutDir, sys+"-"+w.Name+".json")); err != nil {
			return err
		}
		out.Comparison.Add(res)
		bench.WriteSummary(o.Log, res)
	}
	out.Loads[sys] = LoadAverage()
	return nil
}

// runWorkload runs one workload against n after a short pause that lets
// the previous run's blocks drain.
func runWorkload(ctx context.Context, o Options, n *benchnet.Network, sys string, w Workload, label string) (*bench.Result, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(2 * time.Second):
	}
	cfg := bench.Config{
		System: sys, Workload: w.Name, Endpoints: n.RPCs, Senders: w.Senders, TxSize: w.TxSize,
		Rate: w.Rate, Duration: w.Duration, Grace: o.Grace, RequestTimeout: 10 * time.Second,
		Progress: o.Log, NetworkCPU: n.CPU,
	}
	fmt.Fprintf(o.Log, "bench: %s, %s\n", sys, label)
	res, err := bench.Run(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s, %s: %w", sys, label, err)
	}
	return res, nil
}

// captureProfile fetches a CPU profile over most of the workload from a
// node's pprof endpoint; it returns the file written, or "" after
// reporting why there is none.
func captureProfile(ctx context.Context, addr string, window time.Duration, path string, log io.Writer) string {
	secs := max(1, int((window - 4*time.Second).Seconds()))
	select {
	case <-ctx.Done():
		return ""
	case <-time.After(4 * time.Second):
	}
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return ""
	}
	res, err := (&http.Client{Timeout: time.Duration(secs+30) * time.Second}).Do(req)
	if err != nil {
		fmt.Fprintf(log, "bench: no CPU profile from %s: %v\n", addr, err)
		return ""
	}
	defer res.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(log, "bench: no CPU profile: %v\n", err)
		return ""
	}
	defer f.Close()
	if _, err := io.Copy(f, io.LimitReader(res.Body, 64<<20)); err != nil {
		fmt.Fprintf(log, "bench: CPU profile cut short: %v\n", err)
		return ""
	}
	return path
}
