package metrics

import (
	"time"

	"github.com/cometbft/cometbft/types"
	"github.com/prometheus/client_golang/prometheus"
)

// Sources are what the gauges read when Prometheus scrapes; each may be
// nil.
type Sources struct {
	MempoolSize      func() int
	MempoolSizeBytes func() int64
	Peers            func() int
	// Round is the current round (Tendermint) or view (PBFT).
	Round func() int32
	// Protocol names the consensus protocol deciding now; with it the
	// round gauge and consensus_protocol carry it as the protocol label.
	Protocol   func() string
	CatchingUp func() bool
	// Counters of the engine: inputs the core rejected, events dropped
	// because the driver was behind, peer messages that failed
	// verification, equivocations seen.
	Counters func() (rejected, dropped, bad, evidence int64)
	// PEXCounters of the p2p host: peer exchange messages dropped
	// (malformed, unasked, too long, too early) and addresses in answers
	// that were not kept.
	PEXCounters func() (dropped, rejected uint64)
}

// Metrics are one node's collectors.
type Metrics struct {
	Registry *prometheus.Registry

	height        prometheus.Gauge
	latestHeight  prometheus.Gauge
	validators    prometheus.Gauge
	validatorsPow prometheus.Gauge
	missing       prometheus.Gauge
	missingPow    prometheus.Gauge
	byzantine     prometheus.Gauge
	byzantinePow  prometheus.Gauge
	blockInterval prometheus.Histogram
	numTxs        prometheus.Gauge
	totalTxs      prometheus.Gauge
	blockSize     prometheus.Gauge
	blockTime     prometheus.Histogram

	lastBlock time.Time
}

// New registers the collectors under namespace (CometBFT's default is
// "cometbft") with a chain_id label, reading live values from src.
func New(namespace, chainID string, src Sources) *Metrics {
	reg := prometheus.NewRegistry()
	labels := prometheus.Labels{"chain_id": chainID}
	gauge := func(sub, name, help string) prometheus.Gauge {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Subsystem: sub, Name: name, Help: help, ConstLabels: labels})
		reg.MustRegister(g)
		return g
	}
	m := &Metrics{Registry: reg}
	m.height = gauge("consensus", "height", "Height of the chain.")
	m.latestHeight = gauge("consensus", "latest_block_height", "The latest block height.")
	m.validators = gauge("consensus", "validators", "Number of validators.")
	m.validatorsPow = gauge("consensus", "validators_power", "Total voting power of the validators.")
	m.missing = gauge("consensus", "missing_validators", "Number of validators who did not sign the last block.")
	m.missingPow = gauge("consensus", "missing_validators_power", "Voting power of the validators who did not sign the last block.")
	m.byzantine = gauge("consensus", "byzantine_validators", "Number of validators who tried to double sign, in the last block's evidence.")
	m.byzantinePow = gauge("consensus", "byzantine_validators_power", "Voting power of the validators in the last block's evidence.")
	m.numTxs = gauge("consensus", "num_txs", "Number of transactions in the latest block.")
	m.totalTxs = gauge("consensus", "total_txs", "Total number of transactions committed since the node started.")
	m.blockSize = gauge("consensus", "block_size_bytes", "Size of the latest block.")
	m.blockInterval = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Subsystem: "consensus",
		Name: "block_interval_seconds", Help: "Time between this and the last block.", ConstLabels: labels,
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)})
	m.blockTime = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: namespace, Subsystem: "state",
		Name: "block_processing_time", Help: "Time spent executing a block, in milliseconds.", ConstLabels: labels,
		Buckets: prometheus.ExponentialBuckets(1, 2, 14)})
	reg.MustRegister(m.blockInterval, m.blockTime)
	m.registerLive(reg, namespace, labels, src)
	return m
}

func (m *Metrics) registerLive(reg *prometheus.Registry, ns string, labels prometheus.Labels, src Sources) {
	gaugeFunc := func(sub, name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: name, Help: help, ConstLabels: labels}, f))
	}
	if src.MempoolSize != nil {
		gaugeFunc("mempool", "size", "Number of uncommitted transactions in the mempool.", func() float64 { return float64(src.MempoolSize()) })
	}
	if src.MempoolSizeBytes != nil {
		gaugeFunc("mempool", "size_bytes", "Total size of the mempool in bytes.", func() float64 { return float64(src.MempoolSizeBytes()) })
	}
	if src.Peers != nil {
		gaugeFunc("p2p", "peers", "Number of peers.", func() float64 { return float64(src.Peers()) })
	}
	if src.Round != nil && src.Protocol != nil {
		reg.MustRegister(newProtocolCollector(ns, labels, src.Protocol, src.Round))
	} else if src.Round != nil {
		gaugeFunc("consensus", "rounds", "Round (Tendermint) or view (PBFT) the node is in.", func() float64 { return float64(src.Round()) })
	}
	if src.CatchingUp != nil {
		gaugeFunc("blocksync", "syncing", "Whether the node is catching up with its peers (1) or not (0).", func() float64 {
			if src.CatchingUp() {
				return 1
			}
			return 0
		})
	}
	if src.Counters != nil {
		counter := func(name, help string, pick func(r, d, b, e int64) int64) {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: ns, Subsystem: "bftnode", Name: name, Help: help, ConstLabels: labels},
				func() float64 { return float64(pick(src.Counters())) }))
		}
		counter("rejected_inputs_total", "Inputs the consensus core rejected as invalid.", func(r, _, _, _ int64) int64 { return r })
		counter("dropped_events_total", "Peer messages dropped because the driver was behind, this node cannot check them yet (it is behind their height), or they are precommits without the vote extension their height calls for (an honest sender's app had left the height).", func(_, d, _, _ int64) int64 { return d })
		counter("bad_messages_total", "Peer messages that failed decoding or signature checks (the peer is penalized).", func(_, _, b, _ int64) int64 { return b })
		counter("equivocations_total", "Conflicting messages from one validator for one slot.", func(_, _, _, e int64) int64 { return e })
	}
	if src.PEXCounters != nil {
		counter := func(name, help string, pick func(d, r uint64) uint64) {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: ns, Subsystem: "p2p", Name: name, Help: help, ConstLabels: labels},
				func() float64 { return float64(pick(src.PEXCounters())) }))
		}
		counter("pex_dropped_total", "Peer exchange messages dropped: malformed, not asked for, too many addresses, or a request too soon.", func(d, _ uint64) uint64 { return d })
		counter("pex_addrs_rejected_total", "Addresses in peer exchange answers not kept: malformed, not dialable, unroutable under addr_book_strict, or the node's own.", func(_, r uint64) uint64 { return r })
	}
}

// BlockExecuted records an executed block: vals is the set that signed
// its last commit, took how long executing it took. Call it once per
// block, in order.
func (m *Metrics) BlockExecuted(block *types.Block, vals *types.ValidatorSet, took time.Duration) {
	m.height.Set(float64(block.Height + 1))
	m.latestHeight.Set(float64(block.Height))
	m.numTxs.Set(float64(len(block.Txs)))
	m.totalTxs.Add(float64(len(block.Txs)))
	m.blockSize.Set(float64(block.Size()))
	m.blockTime.Observe(float64(took) / float64(time.Millisecond))
	if !m.lastBlock.IsZero() {
		m.blockInterval.Observe(block.Time.Sub(m.lastBlock).Seconds())
	}
	m.lastBlock = block.Time
	if vals != nil {
		m.validators.Set(float64(vals.Size()))
		m.validatorsPow.Set(float64(vals.TotalVotingPower()))
	}
	m.lastCommitMissing(block, vals)
	var byz, byzPow int64
	for _, mb := range block.Evidence.Evidence.ToABCI() {
		byz++
		byzPow += mb.Validator.Power
	}
	m.byzantine.Set(float64(byz))
	m.byzantinePow.Set(float64(byzPow))
}

// lastCommitMissing counts the validators absent from the block's last
// commit. vals is the set that signed it only when unchanged; it is
// matched by address.
func (m *Metrics) lastCommitMissing(block *types.Block, vals *types.ValidatorSet) {
	if block.LastCommit == nil || vals == nil {
		return
	}
	var missing, power int64
	for _, sig := range block.LastCommit.Signatures {
		if sig.BlockIDFlag != types.BlockIDFlagAbsent {
			continue
		}
		missing++
	}
	for i, sig := range block.LastCommit.Signatures {
		if sig.BlockIDFlag == types.BlockIDFlagAbsent && i < vals.Size() {
			_, v := vals.GetByIndex(int32(i))
			if v != nil {
				power += v.VotingPower
			}
		}
	}
	m.missing.Set(float64(missing))
	m.missingPow.Set(float64(power))
}
