package bench

import (
	"fmt"
	"io"
	"sort"
)

// WriteSummary prints one result for a person to read.
func WriteSummary(w io.Writer, r *Result) {
	rate := "unlimited"
	if r.Rate > 0 {
		rate = fmt.Sprintf("%g tx/s", r.Rate)
	}
	fmt.Fprintf(w, "%s / %s: %d senders, %d-byte txs, rate %s, %gs (+%gs grace), %d endpoint(s)\n",
		r.System, r.Workload, r.Senders, r.TxSize, rate, r.DurationSec, r.GraceSec, len(r.Endpoints))
	fmt.Fprintf(w, "  committed   %.0f tx/s  (%d of %d sent; %d blocks, %.1f txs/block, %d proposers)\n",
		r.TxPerSec, r.Committed, r.Sent, r.Blocks, r.TxsPerBlock, r.Proposers)
	l := r.Latency
	fmt.Fprintf(w, "  latency     p50 %s  p90 %s  p99 %s  max %s  mean %s\n",
		formatMs(l.P50), formatMs(l.P90), formatMs(l.P99), formatMs(l.Max), formatMs(l.Mean))
	fmt.Fprintf(w, "  refused     %d by CheckTx, %d RPC errors; %d committed though not acknowledged\n",
		r.Rejected, r.RPCErrors, r.CommittedUnacked)
	fmt.Fprintf(w, "  lost        %d acknowledged, never committed\n", r.Lost)
	if len(r.RSS) > 0 {
		fmt.Fprintf(w, "  rss         max %.0f MB per node\n", r.MaxRSSMB())
	}
	if u := r.CPU; u != nil {
		fmt.Fprintf(w, "  cpu         %s\n", FormatCPU(u))
		if per := r.NodeCPUPerTx(); per > 0 {
			fmt.Fprintf(w, "              %.0f µs of node CPU per committed tx (all nodes)\n", per)
		}
	}
	texts := make([]string, 0, len(r.Refusals))
	for t := range r.Refusals {
		texts = append(texts, t)
	}
	sort.Slice(texts, func(i, j int) bool { return r.Refusals[texts[i]] > r.Refusals[texts[j]] })
	for i, t := range texts {
		if i == 5 {
			break
		}
		fmt.Fprintf(w, "    %6d × %s\n", r.Refusals[t], t)
	}
	if r.FollowError != "" {
		fmt.Fprintf(w, "  follower    last error: %s\n", r.FollowError)
	}
}

// FormatCPU says how many processors each part kept busy on average.
func FormatCPU(u *CPUUse) string {
	out := fmt.Sprintf("%.2f of %d cores busy", u.Cores(u.Machine), u.CPUs)
	if u.Nodes >= 0 {
		out += fmt.Sprintf(": nodes %.2f, apps %.2f, generator %.2f, rest %.2f",
			u.Cores(u.Nodes), u.Cores(u.Apps), u.Cores(u.Generator), u.Cores(u.Other()))
	} else {
		out += fmt.Sprintf(", generator %.2f", u.Cores(u.Generator))
	}
	return out
}
