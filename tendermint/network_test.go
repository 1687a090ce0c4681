package tendermint

import (
	"container/heap"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// A small deterministic network for this package's tests: n cores stepped
// from one goroutine in virtual time, with message delays, drops until the
// network heals, equivocating validators, followers and crashes that
// rebuild a node from its snapshot and replay its log. It checks agreement
// and validity at every decision and liveness at the end.

type simOptions struct {
	seed          int64
	nodes         int
	powers        []int64 // default: all 1
	heights       int64   // every honest node must decide this many heights
	dropRate      float64 // until healAt
	healAt        time.Duration
	timeoutCommit bool
	equivocators  int // the last validators send conflicting messages
	followers     int
	crashRate     float64 // per decision, chance that a random node restarts
	bugs          map[int]string
}

type simEvent struct {
	at    time.Duration
	seq   uint64
	node  int
	epoch int
	input consensus.Input
}

type eventQueue []simEvent

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(simEvent)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type logEntry struct {
	input   consensus.Input
	actions []consensus.Action
	err     error
}

type simNode struct {
	index      int // validator index, or -1 for a follower
	address    []byte
	cfg        Config
	genesis    *consensus.ValidatorSet
	core       *Core
	log        []logEntry
	epoch      int
	byzantine  bool
	decisions  map[int64]consensus.ID
	restarts   int
	evidence   int
	lastHeight int64
}

// lastSnapshot finds the latest log entry that emitted a snapshot.
func (n *simNode) lastSnapshot() (int, []byte) {
	for i := len(n.log) - 1; i >= 0; i-- {
		for _, a := range n.log[i].actions {
			if s, ok := a.(consensus.SaveSnapshot); ok {
				return i, s.State
			}
		}
	}
	return -1, nil
}

type simNet struct {
	t       testing.TB
	opts    simOptions
	rng     *rand.Rand
	nodes   []*simNode
	queue   eventQueue
	now     time.Duration
	seq     uint64
	sets    map[int64]*consensus.ValidatorSet
	decided map[int64]consensus.ID
	commits map[int64][]consensus.Vote
	steps   int
}

func newSimNet(t testing.TB, o simOptions) *simNet {
	if o.powers == nil {
		o.powers = equalPowers(o.nodes)
	}
	if o.healAt == 0 {
		o.healAt = 20 * time.Second
	}
	net := &simNet{t: t, opts: o, rng: rand.New(rand.NewSource(o.seed)), sets: map[int64]*consensus.ValidatorSet{},
		decided: map[int64]consensus.ID{}, commits: map[int64][]consensus.Vote{}}
	genesis := validatorSet(t, o.powers)
	net.sets[1] = genesis
	cfg := DefaultConfig()
	if o.timeoutCommit {
		cfg.TimeoutCommit = 100 * time.Millisecond
	}
	for i := 0; i < o.nodes+o.followers; i++ {
		n := &simNode{index: i, cfg: cfg, genesis: genesis, decisions: map[int64]consensus.ID{}}
		if i < o.nodes {
			n.address = genesis.Validators[i].Address
			n.byzantine = i >= o.nodes-o.equivocators
		} else {
			n.index = -1
			n.address = []byte(fmt.Sprintf("follower-%d", i))
		}
		c, err := New(cfg, n.address, genesis, nil)
		if err != nil {
			t.Fatal(err)
		}
		if bug, ok := o.bugs[i]; ok {
			EnableBug(c, bug)
		}
		n.core = c
		net.nodes = append(net.nodes, n)
		net.schedule(i, 0, consensus.Start{})
	}
	return net
}

func (net *simNet) set(height int64) *consensus.ValidatorSet {
	if vs, ok := net.sets[height]; ok {
		return vs
	}
	vs := net.set(height - 1).Next()
	net.sets[height] = vs
	return vs
}

func (net *simNet) schedule(node int, after time.Duration, in consensus.Input) {
	net.seq++
	heap.Push(&net.queue, simEvent{at: net.now + after, seq: net.seq, node: node, epoch: net.nodes0epoch(node), input: in})
}

func (net *simNet) nodes0epoch(node int) int {
	if node < len(net.nodes) {
		return net.nodes[node].epoch
	}
	return 0
}

// run steps events until every honest node decided opts.heights heights.
func (net *simNet) run() {
	for net.queue.Len() > 0 && !net.done() {
		net.steps++
		if net.steps > 400_000 || net.now > 30*time.Minute {
			net.t.Fatalf("seed %d: no progress: %s", net.opts.seed, net.describe())
		}
		e := heap.Pop(&net.queue).(simEvent)
		net.now = e.at
		n := net.nodes[e.node]
		if e.epoch != n.epoch {
			continue // lost in a crash
		}
		net.step(n, e.input)
	}
	if !net.done() {
		net.t.Fatalf("seed %d: stalled: %s", net.opts.seed, net.describe())
	}
}

func (net *simNet) done() bool {
	for _, n := range net.nodes {
		if !n.byzantine && n.lastHeight < net.opts.heights {
			return false
		}
	}
	return true
}

func (net *simNet) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "t=%v steps=%d", net.now, net.steps)
	for _, n := range net.nodes {
		rs := n.core.RoundState()
		fmt.Fprintf(&b, "\n node %d %+v restarts %d byz %v locked %q@%d valid %q@%d proposal %q pol %d", n.index, n.core.Status(), n.restarts, n.byzantine,
			rs.LockedValue, rs.LockedRound, rs.ValidValue, rs.ValidRound, rs.Proposal, rs.POLRound)
	}
	return b.String()
}

func (net *simNet) step(n *simNode, in consensus.Input) {
	acts, err := n.core.Step(in)
	n.log = append(n.log, logEntry{in, acts, err})
	if errors.Is(err, ErrBrokenInvariant) {
		net.t.Fatalf("seed %d node %d: %v", net.opts.seed, n.index, err)
	}
	if err != nil && net.opts.equivocators == 0 {
		net.t.Fatalf("seed %d node %d: honest traffic rejected: %T%+v: %v", net.opts.seed, n.index, in, in, err)
	}
	net.execute(n, acts)
}

// execute is the driver: it carries out a node's actions.
func (net *simNet) execute(n *simNode, acts []consensus.Action) {
	id := net.idOf(n)
	for _, a := range acts {
		switch a := a.(type) {
		case consensus.Broadcast:
			signed := net.sign(a.Msg)
			net.schedule(id, 0, consensus.Receive{Msg: signed})
			net.sendAll(n, signed)
		case consensus.Send:
			if a.To == consensus.All {
				net.sendAll(n, a.Msg)
			} else {
				net.send(int(a.To), a.Msg)
			}
		case consensus.SetTimeout:
			net.schedule(id, a.After, consensus.TimeoutFired{Timeout: a.Timeout})
		case consensus.RequestProposal:
			v := consensus.ID(fmt.Sprintf("h%d/r%d/p%d", a.Height, a.Round, n.index))
			net.schedule(id, time.Millisecond, consensus.ProposalReady{Height: a.Height, Round: a.Round, Value: v})
		case consensus.RequestVerdict:
			valid := strings.HasPrefix(string(a.Value), fmt.Sprintf("h%d/", a.Height))
			net.schedule(id, time.Millisecond, consensus.Verdict{Height: a.Height, Value: a.Value, Valid: valid})
		case consensus.Decide:
			net.decide(n, a)
			net.schedule(id, 2*time.Millisecond, consensus.Executed{Height: a.Height, AppHash: []byte(fmt.Sprintf("app-%d", a.Height)), Next: net.set(a.Height + 1)})
		case consensus.FetchBlocks:
			if v, ok := net.decided[a.From]; ok {
				net.schedule(id, 5*time.Millisecond, consensus.Synced{Height: a.From, Value: v, Commit: net.commits[a.From]})
			}
		case consensus.Evidence:
			n.evidence++
		}
	}
}

func (net *simNet) idOf(n *simNode) int {
	for i, m := range net.nodes {
		if m == n {
			return i
		}
	}
	return -1
}

func (net *simNet) decide(n *simNode, d consensus.Decide) {
	if !strings.HasPrefix(string(d.Value), fmt.Sprintf("h%d/", d.Height)) {
		net.t.Fatalf("seed %d node %d: validity: decided %q at height %d", net.opts.seed, n.index, d.Value, d.Height)
	}
	if prev, ok := n.decisions[d.Height]; ok && prev != d.Value {
		net.t.Fatalf("seed %d node %d: decided height %d twice", net.opts.seed, n.index, d.Height)
	}
	if v, ok := net.decided[d.Height]; ok && v != d.Value && !n.byzantine {
		net.t.Fatalf("seed %d node %d: agreement: height %d decided %q here and %q elsewhere", net.opts.seed, n.index, d.Height, d.Value, v)
	}
	if _, ok := net.decided[d.Height]; !ok {
		net.decided[d.Height], net.commits[d.Height] = d.Value, d.Commit
	}
	n.decisions[d.Height] = d.Value
	n.lastHeight = max(n.lastHeight, d.Height)
	if net.opts.crashRate > 0 && net.rng.Float64() < net.opts.crashRate {
		net.restart(net.nodes[net.rng.Intn(len(net.nodes))])
	}
}

func (net *simNet) sign(m consensus.Message) consensus.Message {
	ts := time.Unix(1_700_000_000, 0).Add(net.now).UTC()
	switch m := m.(type) {
	case *consensus.Proposal:
		cp := *m
		cp.Timestamp, cp.Signature = ts, []byte("sig")
		return &cp
	case *consensus.Vote:
		cp := *m
		cp.Timestamp, cp.Signature = ts, []byte("sig")
		return &cp
	}
	return m
}

// sendAll sends m to every other node; an equivocator sends half of them a
// conflicting message for the same slot.
func (net *simNet) sendAll(from *simNode, m consensus.Message) {
	self := net.idOf(from)
	for i := range net.nodes {
		if i == self {
			continue
		}
		msg := m
		if from.byzantine && i%2 == 0 {
			msg = conflicting(m)
		}
		net.send(i, msg)
	}
}

func conflicting(m consensus.Message) consensus.Message {
	switch m := m.(type) {
	case *consensus.Proposal:
		cp := *m
		cp.Value = consensus.ID(fmt.Sprintf("h%d/evil-%d", m.Height, m.Round))
		return &cp
	case *consensus.Vote:
		cp := *m
		if m.Value == consensus.Nil {
			cp.Value = consensus.ID(fmt.Sprintf("h%d/evil-%d", m.Height, m.Round))
		} else {
			cp.Value = consensus.Nil
		}
		return &cp
	}
	return m
}

func (net *simNet) send(to int, m consensus.Message) {
	if to < 0 || to >= len(net.nodes) {
		return
	}
	if net.now < net.opts.healAt && net.rng.Float64() < net.opts.dropRate {
		return
	}
	delay := time.Duration(1+net.rng.Intn(30)) * time.Millisecond
	net.schedule(to, delay, consensus.Receive{Msg: m})
}

// restart crashes n and rebuilds it as a driver does: the latest snapshot,
// Start, then the inputs logged after the snapshot; it checks that the
// replay produces exactly the logged actions, then re-executes them.
func (net *simNet) restart(n *simNode) {
	n.epoch++
	n.restarts++
	at, snap := n.lastSnapshot()
	c, err := New(n.cfg, n.address, n.genesis, snap)
	if err != nil {
		net.t.Fatalf("seed %d node %d: rebuild: %v", net.opts.seed, n.index, err)
	}
	c.bug = n.core.bug
	start, err := c.Step(consensus.Start{})
	if err != nil {
		net.t.Fatalf("seed %d node %d: restart: %v", net.opts.seed, n.index, err)
	}
	fresh := []logEntry{{consensus.Start{}, start, nil}}
	replayed := append([]consensus.Action(nil), start...)
	for _, e := range n.log[at+1:] {
		acts, err := c.Step(e.input)
		if !reflect.DeepEqual(acts, e.actions) || fmt.Sprint(err) != fmt.Sprint(e.err) {
			net.t.Fatalf("seed %d node %d: replay of %T%+v differs:\n got %v %v\nwant %v %v", net.opts.seed, n.index, e.input, e.input, acts, err, e.actions, e.err)
		}
		fresh = append(fresh, logEntry{e.input, acts, err})
		replayed = append(replayed, acts...)
	}
	n.core, n.log = c, fresh
	net.execute(n, replayed)
}

// simSeeds sets how many seeds each network case runs; raise it for a long
// hunt: go test ./tendermint -run Network -args -seeds=1000
var simSeeds = flag.Int64("seeds", 15, "seeds per network test case")

func TestNetwork_AgreementAndLiveness(t *testing.T) {
	cases := map[string]simOptions{
		"4 equal, lossy":                  {nodes: 4, heights: 5, dropRate: 0.3},
		"4 weighted, lossy":               {nodes: 4, powers: []int64{10, 5, 3, 1}, heights: 5, dropRate: 0.2},
		"4 with an equivocator":           {nodes: 4, heights: 5, dropRate: 0.1, equivocators: 1},
		"7 with two equivocators":         {nodes: 7, heights: 3, dropRate: 0.1, equivocators: 2},
		"4 and a follower, commit delay":  {nodes: 4, followers: 1, heights: 4, dropRate: 0.2, timeoutCommit: true},
		"4 with crashes and restarts":     {nodes: 4, heights: 6, dropRate: 0.2, crashRate: 0.3},
		"weighted, crashes, equivocation": {nodes: 5, powers: []int64{4, 3, 3, 2, 1}, heights: 4, dropRate: 0.1, crashRate: 0.2, equivocators: 1},
	}
	seeds := *simSeeds
	if testing.Short() {
		seeds = 3
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			restarts := 0
			for seed := int64(1); seed <= seeds; seed++ {
				o.seed = seed
				net := newSimNet(t, o)
				net.run()
				for _, n := range net.nodes {
					restarts += n.restarts
					if !n.byzantine {
						checkReplay(t, seed, n)
					}
				}
			}
			if o.crashRate > 0 && restarts == 0 {
				t.Fatal("no node restarted: the crash path was not exercised")
			}
		})
	}
}
