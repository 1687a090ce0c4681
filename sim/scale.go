package sim

import (
	"fmt"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// Links is the latency model of the scale runs: instead of the default
// network's 1-10 ms, a message between two nodes takes half the round
// trip between their regions, varied by a jitter. Node i sits in region
// i mod len(RTT). Setting Options.Links also counts the bytes sent and
// when each height was executed (Result.Scale), feeds every node a steady
// stream of transactions so blocks follow each other back to back, and
// allows up to MaxScaleValidators validators.
type Links struct {
	// RTT[a][b] is the round trip between regions a and b.
	RTT [][]time.Duration
	// Jitter is the fraction (0..1) of each one-way delay by which a
	// message's delay varies, uniformly, either way.
	Jitter float64
	// BlockBytes is added to the size of every proposal: the block, which
	// bftnode's proposer sends beside its proposal to every peer.
	BlockBytes int
	// Uplink is every node's upload rate in bytes per second; 0 is
	// unlimited. A node's messages leave one after another, each taking
	// its size over this rate, and then travel the link's delay: a
	// proposer sending a large block to n-1 peers pays for n-1 copies.
	Uplink int64
	// Silent validators 0..Silent-1 send nothing for the whole run, as
	// crashed ones would, while still following the chain: validator 0
	// is PBFT's primary of view 0 and Tendermint's proposer every n
	// heights, so the run pays for a view change or round changes.
	Silent int
	// SilentAt is when the silent validators fall silent; 0 is from the
	// start. Later, PBFT's view change carries prepared certificates.
	SilentAt time.Duration
}

// Validate says what is wrong with the model.
func (l *Links) Validate() error {
	if len(l.RTT) == 0 {
		return fmt.Errorf("sim: Links.RTT is empty: give at least one region's round trip")
	}
	for a, row := range l.RTT {
		if len(row) != len(l.RTT) {
			return fmt.Errorf("sim: Links.RTT row %d has %d entries; want %d", a, len(row), len(l.RTT))
		}
		for _, rtt := range row {
			if rtt < 0 {
				return fmt.Errorf("sim: Links.RTT row %d holds a negative round trip %v", a, rtt)
			}
		}
	}
	if l.Jitter < 0 || l.Jitter > 1 {
		return fmt.Errorf("sim: Links.Jitter is %g; want 0 to 1", l.Jitter)
	}
	if l.Silent < 0 || l.SilentAt < 0 {
		return fmt.Errorf("sim: Links.Silent is %d from %v; want 0 or more from 0 or later", l.Silent, l.SilentAt)
	}
	if l.BlockBytes < 0 || l.Uplink < 0 {
		return fmt.Errorf("sim: Links.BlockBytes %d and Links.Uplink %d; want 0 or more", l.BlockBytes, l.Uplink)
	}
	return nil
}

// MaxScaleValidators bounds n in runs with Links (100 otherwise).
const MaxScaleValidators = 256

// scaleLoadEvery is how often the scale runs tell every node that
// transactions wait: often enough that no height waits for them.
const scaleLoadEvery = 10 * time.Millisecond

// ScaleStats are the scale runs' counters.
type ScaleStats struct {
	// Bytes sent, every message in the simulator's own encoding (every
	// field and signature: a proxy for the wire's size, block contents
	// left out since the simulator proposes values, not blocks).
	Bytes int64
	// MessagesByKind counts messages sent by type: proposal, prevote,
	// precommit (PBFT: PREPARE, COMMIT), checkpoint, view-change,
	// new-view.
	MessagesByKind map[string]int
	BytesByKind    map[string]int64
	// FirstExecuted[h-1] and LastExecuted[h-1] are when the first and the
	// last honest node executed height h.
	FirstExecuted, LastExecuted []time.Duration
	executedBy                  []int
	// uplinkFree[slot] is when node slot's uplink finishes what it was
	// given to send.
	uplinkFree []time.Duration
}

// linkDelay is how long a message of size bytes from node from takes to
// reach node to: its wait for the sender's uplink, its transmission and
// the link's delay.
func (w *world) linkDelay(from, to, size int) time.Duration {
	l := w.opts.Links
	if l == nil || w.net.faulty {
		return w.net.delay(w)
	}
	rtt := l.RTT[from%len(l.RTT)][to%len(l.RTT)]
	oneWay := rtt / 2
	j := time.Duration(float64(oneWay) * l.Jitter)
	d := max(minDelay, w.between(oneWay-j, oneWay+j))
	if l.Uplink > 0 {
		s := w.res.Scale
		for len(s.uplinkFree) <= from {
			s.uplinkFree = append(s.uplinkFree, 0)
		}
		start := max(w.now, s.uplinkFree[from])
		s.uplinkFree[from] = start + time.Duration(float64(size)/float64(l.Uplink)*float64(time.Second))
		backlog := s.uplinkFree[from] - w.now
		d += backlog
		if backlog > maxUplinkBacklog && !w.stop {
			// A real node's send queue is bounded; an unbounded one here
			// would hold every queued message in memory.
			w.violate("liveness", w.nodes[from], 0, "node %d's uplink is %v behind: it is given more to send than %d bytes/s carry",
				from, backlog.Round(time.Millisecond), l.Uplink)
			w.stop = true
		}
	}
	return d
}

// maxUplinkBacklog ends a run whose nodes are given more to send than
// their uplink carries.
const maxUplinkBacklog = 30 * time.Second

// noteSent counts a message's bytes in the scale runs and returns its
// size (0 outside them). A silent validator's messages are not sent.
func (w *world) noteSent(from int, m consensus.Message) int {
	s := w.res.Scale
	if s == nil || w.net.silenced[w.nodes[from].val] {
		return 0
	}
	e := encoder{}
	size := 0
	if err := e.message(m, true, true); err == nil {
		size = len(e.buf)
	}
	if _, ok := m.(*consensus.Proposal); ok {
		size += w.opts.Links.BlockBytes
	}
	s.Bytes += int64(size)
	kind := messageKind(m)
	s.MessagesByKind[kind]++
	s.BytesByKind[kind] += int64(size)
	return size
}

func messageKind(m consensus.Message) string {
	switch m := m.(type) {
	case *consensus.Proposal:
		return "proposal"
	case *consensus.Vote:
		return m.Type.String()
	case *consensus.Checkpoint:
		return "checkpoint"
	case *consensus.ViewChange:
		return "view-change"
	case *consensus.NewView:
		return "new-view"
	}
	return fmt.Sprintf("%T", m)
}

// noteExecuted records when honest nodes executed a height.
func (w *world) noteExecuted(n *node, h int64) {
	s := w.res.Scale
	if s == nil || !n.honest || h < 1 {
		return
	}
	for int64(len(s.FirstExecuted)) < h {
		s.FirstExecuted = append(s.FirstExecuted, 0)
		s.LastExecuted = append(s.LastExecuted, 0)
		s.executedBy = append(s.executedBy, 0)
	}
	i := h - 1
	if s.executedBy[i] == 0 {
		s.FirstExecuted[i] = w.now
	}
	s.executedBy[i]++
	s.LastExecuted[i] = w.now
}

// startScale silences the silent validators and starts the load.
func (w *world) startScale() {
	silence := func() {
		for v := 0; v < w.opts.Links.Silent && v < w.genesis.Size(); v++ {
			w.net.silenced[int32(v)] = true
		}
		w.tracef("scale: validators 0..%d fall silent", w.opts.Links.Silent-1)
	}
	if at := w.opts.Links.SilentAt; at > 0 {
		w.after(at, silence)
	} else {
		silence()
	}
	w.scaleLoad()
}

// scaleLoad tells every live node that transactions wait, every
// scaleLoadEvery, so that blocks follow each other as fast as the
// protocol decides them.
func (w *world) scaleLoad() {
	for _, n := range w.nodes {
		if n.alive {
			n.deliver(consensus.TxsAvailable{})
		}
	}
	w.after(scaleLoadEvery, w.scaleLoad)
}

// ScaleSummary is a scale run's cost and speed per block.
type ScaleSummary struct {
	Validators int
	// Heights executed by every honest node.
	Heights int
	// MessagesPerNode and BytesPerNode are sent per block per node,
	// averaged over the nodes and the run.
	MessagesPerNode float64
	BytesPerNode    float64
	// Interval is the mean time a height takes, from the start of the run
	// to the last honest node executing the last height, over the
	// heights: the time a block takes when transactions always wait
	// (the first height's included, so a view change or round change
	// before it counts).
	Interval time.Duration
	// Spread is the mean time from the first to the last honest node
	// executing a height.
	Spread time.Duration
}

// Summarise reduces a scale run to its per-block figures; ok is false
// for a run without Options.Links or with fewer than two heights.
func Summarise(r Result) (s ScaleSummary, ok bool) {
	st := r.Scale
	if st == nil {
		return s, false
	}
	s.Validators = len(r.Powers)
	honest := s.Validators - len(r.Byzantine)
	for _, c := range st.executedBy {
		if c < honest {
			break
		}
		s.Heights++
	}
	if s.Heights < 2 || s.Validators == 0 {
		return s, false
	}
	per := float64(s.Heights * s.Validators)
	sent := 0 // not Result.Messages, which counts what silent validators tried to send
	for _, c := range st.MessagesByKind {
		sent += c
	}
	s.MessagesPerNode = float64(sent) / per
	s.BytesPerNode = float64(st.Bytes) / per
	s.Interval = st.LastExecuted[s.Heights-1] / time.Duration(s.Heights)
	var spread time.Duration
	for i := 0; i < s.Heights; i++ {
		spread += st.LastExecuted[i] - st.FirstExecuted[i]
	}
	s.Spread = spread / time.Duration(s.Heights)
	return s, true
}
