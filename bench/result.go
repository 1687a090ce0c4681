package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// Result is what one run measured. Latencies are in milliseconds, from
// the moment a transaction was sent to the moment the follower first saw
// it in a committed block.
type Result struct {
	System   string    `json:"system"`
	Workload string    `json:"workload"`
	Started  time.Time `json:"started"`

	Endpoints   []string `json:"endpoints"`
	Senders     int      `json:"senders"`
	TxSize      int      `json:"tx_size"`
	Rate        float64  `json:"rate"` // 0: unlimited
	DurationSec float64  `json:"duration_sec"`
	GraceSec    float64  `json:"grace_sec"`

	Sent      int64 `json:"sent"`
	Acked     int64 `json:"acked"`      // CheckTx code 0
	Rejected  int64 `json:"rejected"`   // CheckTx code != 0
	RPCErrors int64 `json:"rpc_errors"` // transport or JSON-RPC errors, timeouts included
	Committed int64 `json:"committed"`  // acknowledged and seen in a block
	// CommittedUnacked are transactions seen in a block whose broadcast
	// failed or was refused: not lost, but the client was told otherwise.
	CommittedUnacked int64 `json:"committed_unacked"`
	// Lost are acknowledged transactions never seen in a block by the end
	// of the grace period.
	Lost int64 `json:"lost"`

	// TxPerSec counts this run's transactions committed within the send
	// window, divided by its length.
	TxPerSec float64 `json:"tx_per_sec"`
	// OfferedPerSec is what the senders got answered, per second.
	OfferedPerSec float64 `json:"offered_per_sec"`

	Latency LatencySummary `json:"latency_ms"`

	Blocks int64 `json:"blocks"` // blocks seen from the start of the run to the end of the grace period
	// Proposers counts the distinct proposers of those blocks. Under
	// PBFT the primary proposes every block of its view, so 1 means the
	// view never changed during the run (no honest primary was voted
	// out by the request timer under saturation); Tendermint rotates.
	Proposers   int     `json:"proposers,omitempty"`
	TxsPerBlock float64 `json:"txs_per_block"`

	// Refusals are the distinct refusal and error texts, counted.
	Refusals map[string]int `json:"refusals,omitempty"`
	// FollowError is the follower's last error, if any.
	FollowError string `json:"follow_error,omitempty"`

	Series    []SeriesPoint `json:"series"`
	Histogram []HistBin     `json:"histogram"`

	// RSS is the resident memory of each node during the run, when the
	// caller sampled it.
	RSS []NodeRSS `json:"rss,omitempty"`

	// CPU is the processor time spent during the send window; CPUError
	// says why it is missing.
	CPU      *CPUUse `json:"cpu,omitempty"`
	CPUError string  `json:"cpu_error,omitempty"`
}

// NodeCPUPerTx is the node processes' processor time, all nodes together,
// per transaction committed within the send window, in microseconds; 0
// when not measured.
func (r *Result) NodeCPUPerTx() float64 {
	committed := r.TxPerSec * r.DurationSec
	if r.CPU == nil || r.CPU.Nodes < 0 || committed <= 0 {
		return 0
	}
	return r.CPU.Nodes / committed * 1e6
}

// LatencySummary holds percentiles of send-to-commit latency.
type LatencySummary struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// SeriesPoint is the latency of the transactions sent in one slice of
// the run: T is the middle of the slice in seconds from the start.
type SeriesPoint struct {
	T   float64 `json:"t"`
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	N   int     `json:"n"`
}

// HistBin counts the committed transactions with latency in (previous
// bin's UpperMs, UpperMs]. Every result uses the same bins.
type HistBin struct {
	UpperMs float64 `json:"upper_ms"`
	Count   int     `json:"count"`
}

// NodeRSS is one node's resident set size sampled during a run.
type NodeRSS struct {
	Node    string  `json:"node"`
	MaxMB   float64 `json:"max_mb"`
	MeanMB  float64 `json:"mean_mb"`
	Samples int     `json:"samples"`
}

// MaxRSSMB is the largest RSS of any node, 0 when none was sampled.
func (r *Result) MaxRSSMB() float64 {
	m := 0.0
	for _, n := range r.RSS {
		m = max(m, n.MaxMB)
	}
	return m
}

// WriteJSON writes the result to path.
func (r *Result) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the result: %w", err)
	}
	return nil
}

// ReadJSON reads a result written by WriteJSON.
func ReadJSON(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading a result: %w", err)
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s is not a benchmark result: %w", path, err)
	}
	return &r, nil
}
