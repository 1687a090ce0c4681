package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Comparison lays the results of several systems side by side, each
// against a baseline system, workload by workload.
type Comparison struct {
	Baseline  string
	Systems   []string // the baseline first
	Workloads []string
	Results   map[string]map[string]*Result // workload -> system -> result
}

// NewComparison starts an empty comparison of systems against the first.
func NewComparison(systems, workloads []string) *Comparison {
	return &Comparison{Baseline: systems[0], Systems: systems, Workloads: workloads,
		Results: map[string]map[string]*Result{}}
}

// Add files a result under its workload and system.
func (c *Comparison) Add(r *Result) {
	if c.Results[r.Workload] == nil {
		c.Results[r.Workload] = map[string]*Result{}
	}
	c.Results[r.Workload][r.System] = r
}

// Get returns the result of system under workload, or nil.
func (c *Comparison) Get(workload, system string) *Result { return c.Results[workload][system] }

// metric is one row of the table: a number taken from a result and
// whether more of it is better.
type metric struct {
	name   string
	value  func(*Result) float64
	format func(float64) string
	higher bool
}

var (
	metricTxPerSec = metric{"committed tx/s", func(r *Result) float64 { return r.TxPerSec }, func(v float64) string { return fmt.Sprintf("%.0f", v) }, true}
	metricP50      = metric{"latency p50", func(r *Result) float64 { return r.Latency.P50 }, formatMs, false}
	metricP99      = metric{"latency p99", func(r *Result) float64 { return r.Latency.P99 }, formatMs, false}
	metricMax      = metric{"latency max", func(r *Result) float64 { return r.Latency.Max }, formatMs, false}
	metricRefused  = metric{"refused (CheckTx + RPC errors)", func(r *Result) float64 { return float64(r.Rejected + r.RPCErrors) }, func(v float64) string { return fmt.Sprintf("%.0f", v) }, false}
	metricLost     = metric{"lost (acked, never committed)", func(r *Result) float64 { return float64(r.Lost) }, func(v float64) string { return fmt.Sprintf("%.0f", v) }, false}
	metricRSS      = metric{"RSS per node, max", func(r *Result) float64 { return r.MaxRSSMB() }, func(v float64) string { return fmt.Sprintf("%.0f MB", v) }, false}
	metricNodeCPU  = metric{"node CPU per tx, all nodes", func(r *Result) float64 { return r.NodeCPUPerTx() }, func(v float64) string { return fmt.Sprintf("%.0f µs", v) }, false}
	// metricProposers: under PBFT, 1 means the view never changed.
	metricProposers = metric{"block proposers (PBFT: 1 = no view change)", func(r *Result) float64 { return float64(r.Proposers) }, func(v float64) string { return fmt.Sprintf("%.0f", v) }, false}
)

// optional metrics are measured only in some runs; a workload shows them
// when any system has them.
var optional = map[string]bool{metricRSS.name: true, metricNodeCPU.name: true, metricProposers.name: true}

// Target is a goal stated as a ratio to the baseline in one workload:
// system ÷ baseline ≥ Ratio when more is better, ≤ Ratio otherwise; a
// Ratio of 0 with Absolute asks for the value itself to be 0.
type Target struct {
	Workload string
	metric   metric
	Ratio    float64
	Absolute bool
}

// Describe says the target in words for the table.
func (t Target) Describe() string {
	switch {
	case t.Absolute:
		return "= 0"
	case t.metric.higher:
		return fmt.Sprintf("≥ %g×", t.Ratio)
	default:
		return fmt.Sprintf("≤ %s×", fraction(t.Ratio))
	}
}

func fraction(r float64) string {
	if r > 0 && r < 1 {
		return fmt.Sprintf("1/%g", 1/r)
	}
	return fmt.Sprintf("%g", r)
}

// Met says whether sys meets t, and false when a result is missing.
func (t Target) Met(c *Comparison, sys string) bool {
	r, base := c.Get(t.Workload, sys), c.Get(t.Workload, c.Baseline)
	if r == nil || base == nil {
		return false
	}
	v := t.metric.value(r)
	if t.Absolute {
		return v == 0
	}
	b := t.metric.value(base)
	if b == 0 {
		return false
	}
	if t.metric.higher {
		return v/b >= t.Ratio
	}
	return v/b <= t.Ratio
}

// Targets are the goals bftnode is held to against CometBFT.
func Targets(saturation, light, large string) []Target {
	return []Target{
		{Workload: saturation, metric: metricTxPerSec, Ratio: 3},
		{Workload: saturation, metric: metricP99, Ratio: 0.1},
		{Workload: light, metric: metricP50, Ratio: 0.05},
		{Workload: saturation, metric: metricRSS, Ratio: 1.0 / 3},
		{Workload: saturation, metric: metricLost, Absolute: true},
		{Workload: light, metric: metricLost, Absolute: true},
		{Workload: large, metric: metricLost, Absolute: true},
	}
}

// rows builds the table: one row per workload and metric, with each
// system's value and, for the others, its ratio to the baseline and
// whether it meets the row's target.
func (c *Comparison) rows(targets []Target) [][]string {
	head := []string{"workload", "metric", c.Baseline}
	for _, s := range c.Systems[1:] {
		head = append(head, s, "ratio")
	}
	head = append(head, "target")
	out := [][]string{head}
	metrics := []metric{metricTxPerSec, metricP50, metricP99, metricMax, metricRefused, metricLost, metricRSS, metricNodeCPU, metricProposers}
	for _, w := range c.Workloads {
		for _, m := range metrics {
			if optional[m.name] && !c.measured(w, m) {
				continue
			}
			out = append(out, c.row(w, m, targets))
		}
	}
	return out
}

// measured says whether any system's result of workload has m.
func (c *Comparison) measured(workload string, m metric) bool {
	for _, s := range c.Systems {
		if r := c.Get(workload, s); r != nil && m.value(r) > 0 {
			return true
		}
	}
	return false
}

func (c *Comparison) row(w string, m metric, targets []Target) []string {
	cell := func(sys string) (string, float64, bool) {
		r := c.Get(w, sys)
		if r == nil {
			return "—", 0, false
		}
		v := m.value(r)
		return m.format(v), v, true
	}
	bs, bv, bok := cell(c.Baseline)
	row := []string{w, m.name, bs}
	var target *Target
	for i := range targets {
		if targets[i].Workload == w && targets[i].metric.name == m.name {
			target = &targets[i]
		}
	}
	var verdicts []string
	for _, s := range c.Systems[1:] {
		vs, v, ok := cell(s)
		ratio := "—"
		if ok && bok && bv != 0 {
			ratio = fmt.Sprintf("%.2f×", v/bv)
		}
		if ok && target != nil {
			mark := "✗"
			if target.Met(c, s) {
				mark = "✓"
			}
			verdicts = append(verdicts, mark)
		}
		row = append(row, vs, ratio)
	}
	t := ""
	if target != nil {
		t = target.Describe() + " " + strings.Join(verdicts, " ")
	}
	return append(row, t)
}

// WriteTable prints the comparison as an aligned text table.
func (c *Comparison) WriteTable(w io.Writer, targets []Target) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range c.rows(targets) {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// WriteMarkdownTable prints the comparison as a Markdown table.
func (c *Comparison) WriteMarkdownTable(w io.Writer, targets []Target) {
	rows := c.rows(targets)
	for i, r := range rows {
		fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
		if i == 0 {
			fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(r)))
		}
	}
}
