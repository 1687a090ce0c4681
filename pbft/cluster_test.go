package pbft

import (
	"container/heap"
	"errors"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// cluster runs replicas over an in-memory network with a virtual clock:
// every Broadcast reaches every replica (unless drop says otherwise), every
// request is answered at once, and time jumps to the next timer when
// nothing else is left to deliver.
type cluster struct {
	t      testing.TB
	cfg    Config
	vals   *consensus.ValidatorSet
	nodes  []*clusterNode
	queue  []delivery
	now    time.Duration
	timers timerQueue
	seq    int
	// drop, if set, loses the messages it returns true for.
	drop func(from, to int, m consensus.Message) bool
	// skip, if set, loses the inputs it returns true for before a replica
	// sees them (a timer that never fires, say).
	skip func(to int, in consensus.Input) bool
	// tamper, if set, replaces what from sends to: a Byzantine sender.
	tamper func(from, to int, m consensus.Message) consensus.Message
	// verdict, if set, decides the application's verdicts.
	verdict func(node int, height int64, value consensus.ID) bool
	// txs makes the mempool never empty: TxsAvailable after every block.
	txs bool
	// dup delivers every input twice.
	dup bool
	// stepHook, if set, wraps every call of Step (for timing).
	stepHook func(step func())
	// rng, if set, makes the network lose loss of the messages, duplicate
	// dup of them and deliver queued inputs in random order.
	rng           *rand.Rand
	loss, dupRate float64
	chain         map[int64]consensus.Decide
	conflicts     []string
	steps         int
	// setAt, if set, is the validator set of each height (Executed{h}
	// reports setAt(h+1)); otherwise the set never changes.
	setAt func(h int64) *consensus.ValidatorSet
	// signers, if set, has every message signed by its sender's address
	// and checked on delivery as a driver checks it (see signerCheck);
	// messages that fail are dropped and listed in refused.
	signers bool
	refused []string
	// blockSync, if set, hands a replica the decided blocks above its own
	// on every retransmission tick, as a driver's block sync does when
	// peers report greater heights, whether or not the replica asked.
	blockSync bool
	// bans, if set, holds each replica's offences by each peer (messages
	// whose signatures fail where the driver would blame the sender) and
	// models the driver's ban: on the third offence the two stop hearing
	// each other for ten minutes.
	bans *clusterBans
	// rejected, if set, lists the inputs replicas rejected as invalid
	// instead of failing the test (a driver only logs them).
	rejected *[]string
}

type clusterNode struct {
	core     *Core
	inputs   []consensus.Input
	actions  [][]consensus.Action
	decided  []consensus.Decide
	evidence []consensus.Evidence
	snapshot []byte
	// replay holds the inputs stepped since snapshot: what a driver's
	// write-ahead log holds.
	replay []consensus.Input
	err    error
	record bool
}

type delivery struct {
	to int
	in consensus.Input
}

type timerEntry struct {
	at  time.Duration
	seq int
	to  int
	t   consensus.Timeout
}

type timerQueue []timerEntry

func (q timerQueue) Len() int { return len(q) }
func (q timerQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q timerQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *timerQueue) Push(x any)   { *q = append(*q, x.(timerEntry)) }
func (q *timerQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

func newCluster(t testing.TB, cfg Config, powers ...int64) *cluster {
	t.Helper()
	vals := testVals(t, powers...)
	cl := &cluster{t: t, cfg: cfg, vals: vals, chain: map[int64]consensus.Decide{}}
	for i := range vals.Validators {
		c, err := New(cfg, vals.Validators[i].Address, vals, nil)
		if err != nil {
			t.Fatal(err)
		}
		cl.nodes = append(cl.nodes, &clusterNode{core: c})
	}
	return cl
}

func (cl *cluster) start() {
	for i := range cl.nodes {
		cl.queue = append(cl.queue, delivery{i, consensus.Start{}})
	}
}

// run delivers inputs until done reports true; it fails the test after
// maxSteps inputs or when nothing is left to do.
func (cl *cluster) run(maxSteps int, done func() bool) {
	cl.t.Helper()
	for !done() {
		if cl.steps >= maxSteps {
			cl.t.Fatalf("not done after %d inputs (virtual time %v)", maxSteps, cl.now)
		}
		if !cl.stepOnce() {
			cl.t.Fatalf("network idle and not done (virtual time %v)", cl.now)
		}
	}
}

// runFor delivers inputs until the virtual clock passed d more.
func (cl *cluster) runFor(d time.Duration, maxSteps int) {
	cl.t.Helper()
	end := cl.now + d
	for cl.now < end && cl.steps < maxSteps && cl.stepOnce() {
	}
}

func (cl *cluster) stepOnce() bool {
	if len(cl.queue) == 0 {
		if cl.timers.Len() == 0 {
			return false
		}
		e := heap.Pop(&cl.timers).(timerEntry)
		cl.now = e.at
		cl.queue = append(cl.queue, delivery{e.to, consensus.TimeoutFired{Timeout: e.t}})
	}
	k := 0
	if cl.rng != nil {
		k = cl.rng.Intn(len(cl.queue))
	}
	d := cl.queue[k]
	cl.queue = append(cl.queue[:k], cl.queue[k+1:]...)
	cl.deliver(d.to, d.in)
	if cl.dup {
		cl.deliver(d.to, d.in)
	}
	return true
}

func (cl *cluster) deliver(i int, in consensus.Input) {
	n := cl.nodes[i]
	if n.err != nil {
		return // halted
	}
	if cl.skip != nil && cl.skip(i, in) {
		return
	}
	if r, ok := in.(consensus.Receive); ok && cl.signers {
		if blamed, err := cl.checkSigners(n.core, r.Msg); err != nil {
			cl.refused = append(cl.refused, fmt.Sprintf("node %d refused %s: %v", i, describeMsg(r.Msg), err))
			if blamed {
				cl.penalize(i, r.Msg)
			}
			return
		}
	}
	cl.steps++
	var acts []consensus.Action
	var err error
	if cl.stepHook != nil {
		cl.stepHook(func() { acts, err = n.core.Step(in) })
	} else {
		acts, err = n.core.Step(in)
	}
	if n.record {
		n.inputs = append(n.inputs, in)
		n.actions = append(n.actions, acts)
	}
	if err == nil || errors.Is(err, consensus.ErrInvalidInput) {
		n.replay = append(n.replay, in)
	}
	if err != nil && cl.rejected != nil && errors.Is(err, consensus.ErrInvalidInput) {
		*cl.rejected = append(*cl.rejected, fmt.Sprintf("node %d: %v", i, err))
		return
	}
	if t, ok := in.(consensus.TimeoutFired); ok && cl.blockSync && t.Timeout.Kind == consensus.TimeoutRetransmit {
		for h := n.core.lastDecided + 1; ; h++ {
			d, ok := cl.chain[h]
			if !ok {
				break
			}
			cl.queue = append(cl.queue, delivery{i, consensus.Synced{Height: h, Value: d.Value, Commit: d.Commit}})
		}
	}
	if err != nil {
		if errors.Is(err, consensus.ErrInvalidInput) {
			cl.t.Fatalf("node %d (executed %d, view %d) rejected %T: %v", i, n.core.lastExecuted, n.core.view, in, err)
		}
		n.err = err
		return
	}
	for _, a := range acts {
		cl.apply(i, a)
	}
}

func (cl *cluster) apply(i int, a consensus.Action) {
	n := cl.nodes[i]
	switch a := a.(type) {
	case consensus.Broadcast:
		signed := sign(a.Msg)
		if cl.signers {
			signed = signBy(a.Msg, n.core.selfAddr)
		}
		cl.queue = append(cl.queue, delivery{i, consensus.Receive{Msg: signed}})
		cl.send(i, consensus.All, signed)
	case consensus.Send:
		cl.send(i, a.To, a.Msg)
	case consensus.SetTimeout:
		cl.seq++
		heap.Push(&cl.timers, timerEntry{at: cl.now + a.After, seq: cl.seq, to: i, t: a.Timeout})
	case consensus.RequestProposal:
		cl.queue = append(cl.queue, delivery{i, consensus.ProposalReady{Height: a.Height, Round: a.Round, Value: blockID(a.Height, a.Round)}})
	case consensus.RequestVerdict:
		valid := cl.verdict == nil || cl.verdict(i, a.Height, a.Value)
		cl.queue = append(cl.queue, delivery{i, consensus.Verdict{Height: a.Height, Value: a.Value, Valid: valid}})
	case consensus.Decide:
		cl.decided(i, a)
	case consensus.Evidence:
		n.evidence = append(n.evidence, a)
	case consensus.FetchBlocks:
		for h := a.From; h <= a.To; h++ {
			if d, ok := cl.chain[h]; ok {
				cl.queue = append(cl.queue, delivery{i, consensus.Synced{Height: h, Value: d.Value, Commit: d.Commit}})
			}
		}
	case consensus.SaveSnapshot:
		n.snapshot, n.replay = a.State, nil
	default:
		cl.t.Fatalf("node %d: unknown action %T", i, a)
	}
}

// restart crashes node i and rebuilds it as a driver would: from its latest
// snapshot, resumed with Start (whose actions are carried out: the timers
// and requests the crash lost), then replaying the inputs logged after the
// snapshot, whose answers the log holds already.
func (cl *cluster) restart(i int) {
	cl.t.Helper()
	n := cl.nodes[i]
	c, err := New(cl.cfg, cl.vals.Validators[i].Address, cl.vals, n.snapshot)
	if err != nil {
		cl.t.Fatalf("node %d restart: %v", i, err)
	}
	logged := n.replay
	n.core, n.replay = c, []consensus.Input{consensus.Start{}}
	resumed, err := c.Step(consensus.Start{})
	if err != nil {
		cl.t.Fatalf("node %d start: %v", i, err)
	}
	for _, a := range resumed {
		cl.apply(i, a)
	}
	for _, in := range logged {
		if _, err := c.Step(in); err != nil && !errors.Is(err, consensus.ErrInvalidInput) {
			cl.t.Fatalf("node %d replay: %v", i, err)
		}
		n.replay = append(n.replay, in)
	}
}

func (cl *cluster) decided(i int, d consensus.Decide) {
	n := cl.nodes[i]
	if len(n.decided) > 0 {
		last := n.decided[len(n.decided)-1]
		first := n.decided[0].Height
		if d.Height <= last.Height && d.Height >= first && n.decided[d.Height-first].Value == d.Value {
			// Repeated after a restart: the snapshot held it pending, and
			// the driver drops it because its log shows it executed.
			return
		}
		if last.Height+1 != d.Height {
			cl.t.Fatalf("node %d decided height %d after %d", i, d.Height, last.Height)
		}
	}
	n.decided = append(n.decided, d)
	if prev, ok := cl.chain[d.Height]; ok && prev.Value != d.Value {
		cl.conflicts = append(cl.conflicts, fmt.Sprintf("height %d: %q and %q", d.Height, prev.Value, d.Value))
	} else if !ok {
		cl.chain[d.Height] = d
	}
	next := cl.vals
	if cl.setAt != nil {
		next = cl.setAt(d.Height + 1)
	}
	cl.queue = append(cl.queue, delivery{i, consensus.Executed{Height: d.Height, AppHash: appHash(d.Height, d.Value), Next: next}})
	if cl.txs {
		cl.queue = append(cl.queue, delivery{i, consensus.TxsAvailable{}})
	}
}

func (cl *cluster) send(from int, to int32, m consensus.Message) {
	for j := range cl.nodes {
		if j == from || (to != consensus.All && int32(j) != to) {
			continue
		}
		if cl.drop != nil && cl.drop(from, j, m) {
			continue
		}
		if cl.bans != nil && cl.bans.banned(from, j, cl.now) {
			continue
		}
		if cl.rng != nil && cl.rng.Float64() < cl.loss {
			continue
		}
		msg := m
		if cl.tamper != nil {
			msg = cl.tamper(from, j, m)
		}
		cl.queue = append(cl.queue, delivery{j, consensus.Receive{Msg: msg}})
		if cl.rng != nil && cl.rng.Float64() < cl.dupRate {
			cl.queue = append(cl.queue, delivery{j, consensus.Receive{Msg: msg}})
		}
	}
}

// allExecuted reports whether every node in which executed height h.
func (cl *cluster) allExecuted(h int64, which ...int) func() bool {
	return func() bool {
		for _, i := range which {
			if cl.nodes[i].core.lastExecuted < h {
				return false
			}
		}
		return true
	}
}

func (cl *cluster) all() []int {
	out := make([]int, len(cl.nodes))
	for i := range out {
		out[i] = i
	}
	return out
}

// sign stands in for the driver's signature: a copy carrying a marker.
func sign(m consensus.Message) consensus.Message { return withSignature(m, []byte("signed")) }

// withSignature is a copy of m (and of a NEW-VIEW's pre-prepares) whose
// signatures are sig.
func withSignature(m consensus.Message, sig []byte) consensus.Message {
	switch m := m.(type) {
	case *consensus.Proposal:
		c := *m
		c.Signature = sig
		return &c
	case *consensus.Vote:
		c := *m
		c.Signature = sig
		return &c
	case *consensus.Checkpoint:
		c := *m
		c.Signature = sig
		return &c
	case *consensus.ViewChange:
		c := *m
		c.Signature = sig
		return &c
	case *consensus.NewView:
		c := *m
		c.Signature = sig
		c.PrePrepares = append([]consensus.Proposal(nil), m.PrePrepares...)
		for i := range c.PrePrepares {
			c.PrePrepares[i].Signature = sig
		}
		return &c
	}
	panic(fmt.Sprintf("cannot sign %T", m))
}

func blockID(h int64, view int32) consensus.ID {
	return consensus.ID(fmt.Sprintf("block-%d-view-%d", h, view))
}

func appHash(h int64, v consensus.ID) []byte {
	return []byte(fmt.Sprintf("app-%d-%s", h, v))
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.CheckpointInterval = 10
	cfg.WatermarkWindow = 20
	return cfg
}

func TestCluster_DecidesHundredsOfBlocksAndSurvivesSilentPrimary(t *testing.T) {
	cl := newCluster(t, testConfig(), 1, 1, 1, 1)
	cl.txs = true
	cl.start()
	cl.run(2_000_000, cl.allExecuted(300, cl.all()...))
	if len(cl.conflicts) > 0 {
		t.Fatalf("disagreement: %v", cl.conflicts)
	}
	if v := cl.nodes[1].core.view; v != 0 {
		t.Fatalf("view changed to %d without a failure", v)
	}
	// Silence the primary of view 0: the backups must change view and go on.
	cl.drop = func(from, to int, _ consensus.Message) bool { return from == 0 || to == 0 }
	h := cl.nodes[1].core.lastExecuted
	cl.run(2_000_000, cl.allExecuted(h+100, 1, 2, 3))
	for _, i := range []int{1, 2, 3} {
		if st := cl.nodes[i].core.Status(); st.Round < 1 || st.Step != "normal" {
			t.Errorf("node %d status %+v, want a normal view >= 1", i, st)
		}
	}
	if len(cl.conflicts) > 0 {
		t.Fatalf("disagreement: %v", cl.conflicts)
	}
	// Heal: the old primary catches up and rejoins.
	cl.drop = nil
	h = cl.nodes[1].core.lastExecuted
	cl.run(2_000_000, cl.allExecuted(h+50, cl.all()...))
	if len(cl.conflicts) > 0 {
		t.Fatalf("disagreement: %v", cl.conflicts)
	}
	for i, n := range cl.nodes {
		if n.err != nil {
			t.Fatalf("node %d halted: %v", i, n.err)
		}
	}
}
