package pbft

import (
	"fmt"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// Core is one PBFT replica. It is not safe for concurrent use: the driver
// steps it from one goroutine.
type Core struct {
	cfg      Config
	selfAddr []byte
	self     int32 // index in the current validator set, -1 if not a validator
	sets     valSetHistory

	view          int32
	active        bool // false: sent VIEW-CHANGE for view, waiting for its NEW-VIEW
	doublings     int  // consecutive view changes without an executed block
	newView       *consensus.NewView
	newViewSent   bool
	nvEvident     bool
	ownViewChange *consensus.ViewChange
	viewChanges   map[int32]*consensus.ViewChange // latest valid VIEW-CHANGE per validator
	vcEvident     map[int32]int32                 // validator -> view it equivocated in

	stable         consensus.StableCheckpoint
	lastExecuted   int64
	lastDecided    int64
	lastAppHash    []byte
	pendingDecide  *consensus.Decide // decided, not yet executed
	decided        map[int64]consensus.ID
	synced         map[int64]consensus.Synced
	fetchTo        int64
	fetchMark      int64
	executedHashes map[int64][]byte // own app hash at checkpoint heights

	slots    map[int64]*slot
	prepared map[int64]consensus.PreparedCert // highest-view certificate per sequence

	checkpoints   map[int64]*checkpointSlot
	ahead         map[int32]*consensus.Checkpoint // latest checkpoint above the high watermark
	aheadEvident  map[int32]int64
	ownCheckpoint *consensus.Checkpoint

	txsSeen    bool
	emptyDue   bool
	proposal   proposalRecord
	vcTimer    timerMark
	emptyTimer timerMark
	// reqTimer is the request timer [§4.4], running for reqTx: the
	// transaction the blocks of this view keep leaving out (request.go).
	reqTimer timerMark
	reqTx    consensus.ID
	// commitWait is the TimeoutCommit running for its Height: the primary
	// proposes that height only once it fired.
	commitWait timerMark
	// proofDue: executing the last block changed the app hash, so the
	// next block is due even without transactions (it is the first to
	// carry the new hash; CometBFT's proof block).
	proofDue   bool
	retransmit int64 // epoch of the live retransmission timer chain
	ticks      int64 // retransmission ticks so far
	// nvReplied is, per laggard, when it was last sent the NEW-VIEW and
	// how long to wait before the next (replyToLaggard).
	nvReplied map[int32]laggardReply
	// voteViews is, per other validator, the highest view above the
	// replica's own in which it sent a PREPARE or COMMIT: a validator
	// votes in a view only after entering it, so these tell a replica
	// that missed a view change where the others are (see joinTarget).
	voteViews map[int32]int32

	snapshotDue bool
	// started: this instance was resumed by a Start already. It is not in
	// the snapshot: every instance New builds is resumed once.
	started bool
	bug     struct{ ignorePSet bool }
	out     consensus.Outbox // the actions of the step being taken
}

// proposalRecord is the primary's RequestProposal for (Height, View).
type proposalRecord struct {
	Height   int64
	View     int32
	Asked    bool
	Answered bool
}

// timerMark is the one live instance of a timer; a firing that does not
// match it is stale and ignored.
type timerMark struct {
	Armed  bool
	Height int64
	View   int32
	After  time.Duration
}

var _ consensus.Core = (*Core)(nil)

// New builds a replica. self is this node's validator address (nil or
// unknown to the set: the node follows without voting). genesis is the
// validator set of cfg.InitialHeight. snapshot is the State of the latest
// SaveSnapshot action, or nil to start from genesis.
func New(cfg Config, self []byte, genesis *consensus.ValidatorSet, snapshot []byte) (*Core, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pbft config: %w", err)
	}
	c := newEmpty(cfg, self)
	if snapshot != nil {
		if err := c.restore(snapshot); err != nil {
			return nil, err
		}
		return c, nil
	}
	vals, err := copySet(genesis)
	if err != nil {
		return nil, fmt.Errorf("pbft genesis validators: %w", err)
	}
	c.sets = valSetHistory{sets: []setFrom{{From: cfg.InitialHeight, Vals: vals}}}
	c.self = indexOf(vals, c.selfAddr)
	c.active = true
	c.stable = consensus.StableCheckpoint{Height: cfg.InitialHeight - 1}
	c.lastExecuted = cfg.InitialHeight - 1
	c.lastDecided = cfg.InitialHeight - 1
	return c, nil
}

func newEmpty(cfg Config, self []byte) *Core {
	return &Core{
		cfg:            cfg,
		selfAddr:       append([]byte(nil), self...),
		self:           -1,
		viewChanges:    map[int32]*consensus.ViewChange{},
		vcEvident:      map[int32]int32{},
		decided:        map[int64]consensus.ID{},
		synced:         map[int64]consensus.Synced{},
		executedHashes: map[int64][]byte{},
		slots:          map[int64]*slot{},
		prepared:       map[int64]consensus.PreparedCert{},
		checkpoints:    map[int64]*checkpointSlot{},
		ahead:          map[int32]*consensus.Checkpoint{},
		aheadEvident:   map[int32]int64{},
		nvReplied:      map[int32]laggardReply{},
		voteViews:      map[int32]int32{},
	}
}

// Status reports the next height to execute, the view and whether the
// replica is in normal operation or changing view.
func (c *Core) Status() consensus.Status {
	step := "normal"
	if !c.active {
		step = "view-change"
	}
	return consensus.Status{Height: c.lastExecuted + 1, Round: c.view, Step: step}
}

// Step applies one input. See consensus.Core for the error contract; errors
// that do not wrap consensus.ErrInvalidInput wrap ErrBrokenInvariant.
func (c *Core) Step(in consensus.Input) ([]consensus.Action, error) {
	c.out.Take()
	err := c.step(in)
	acts := c.out.Take()
	if err != nil {
		return nil, err
	}
	if c.snapshotDue {
		c.snapshotDue = false
		snap, err := c.Snapshot()
		if err != nil {
			return nil, broken("encoding the snapshot: %v", err)
		}
		acts = append(acts, consensus.SaveSnapshot{State: snap, SignFloor: c.signFloor()})
	}
	return acts, nil
}

// emit adds a to the actions of the step being taken.
func (c *Core) emit(a consensus.Action) { c.out.Emit(a) }

// signFloor is the lowest height this replica may still sign a proposal or
// vote for.
//
// Below its stable checkpoint a replica never prepares, commits or
// proposes: every sequence number it handles lies inside its watermarks
// [§4.3]. The one exception is a NEW-VIEW it sends as primary: O starts
// above min-s, the highest stable checkpoint in V [§4.4], and V holds this
// replica's own VIEW-CHANGE, which carries the stable checkpoint it had
// when it sent it. If its checkpoint advanced since (checkpoints or a view
// change of others proved a later one), min-s can lie below it, and O
// re-proposes those sequence numbers. So while its VIEW-CHANGE is
// outstanding the floor is the height just above that VIEW-CHANGE's
// checkpoint.
//
// This keeps PBFT's safety argument whole: O is still computed from V
// alone, so every backup can verify it, and a lower floor only makes the
// driver keep more of what it signed. The floor never goes down: a
// VIEW-CHANGE carries the checkpoint of the moment it is sent, which is at
// least that of every earlier snapshot.
func (c *Core) signFloor() int64 {
	floor := c.stable.Height + 1
	if vc := c.ownViewChange; !c.active && vc != nil && vc.View == c.view {
		floor = min(floor, vc.Stable.Height+1)
	}
	return floor
}

func (c *Core) step(in consensus.Input) error {
	switch in := in.(type) {
	case consensus.Start:
		c.onStart()
		return nil
	case consensus.Receive:
		return c.onReceive(in.Msg)
	case consensus.TimeoutFired:
		return c.onTimeout(in.Timeout)
	case consensus.ProposalReady:
		return c.onProposalReady(in)
	case consensus.Verdict:
		return c.onVerdict(in)
	case consensus.Executed:
		return c.onExecuted(in)
	case consensus.TxsAvailable:
		c.onTxsAvailable()
		return nil
	case consensus.Synced:
		return c.onSynced(in)
	case nil:
		return invalid("nil input")
	}
	return c.stepPointer(in)
}

// stepPointer accepts inputs passed by pointer, which also satisfy
// consensus.Input.
func (c *Core) stepPointer(in consensus.Input) error {
	var v consensus.Input
	switch in := in.(type) {
	case *consensus.Start:
		v = deref(in)
	case *consensus.Receive:
		v = deref(in)
	case *consensus.TimeoutFired:
		v = deref(in)
	case *consensus.ProposalReady:
		v = deref(in)
	case *consensus.Verdict:
		v = deref(in)
	case *consensus.Executed:
		v = deref(in)
	case *consensus.TxsAvailable:
		v = deref(in)
	case *consensus.Synced:
		v = deref(in)
	default:
		return invalid("input of type %T is not a PBFT input", in)
	}
	if v == nil {
		return invalid("nil %T input", in)
	}
	return c.step(v)
}

func deref[T consensus.Input](p *T) consensus.Input {
	if p == nil {
		return nil
	}
	return *p
}

func (c *Core) onReceive(m consensus.Message) error {
	switch m := m.(type) {
	case *consensus.Proposal:
		if m != nil {
			return c.onPrePrepare(m)
		}
	case *consensus.Vote:
		if m != nil {
			return c.onVote(m)
		}
	case *consensus.Checkpoint:
		if m != nil {
			return c.onCheckpoint(m)
		}
	case *consensus.ViewChange:
		if m != nil {
			return c.onViewChange(m)
		}
	case *consensus.NewView:
		if m != nil {
			return c.onNewView(m)
		}
	case nil:
	default:
		return invalid("message of type %T is not a PBFT message", m)
	}
	return invalid("received a nil message")
}

func (c *Core) onTimeout(t consensus.Timeout) error {
	switch t.Kind {
	case consensus.TimeoutViewChange:
		c.onViewChangeTimeout(t)
	case consensus.TimeoutEmptyBlock:
		c.onEmptyBlockTimeout(t)
	case consensus.TimeoutCommit:
		c.onCommitTimeout(t)
	case consensus.TimeoutRetransmit:
		c.onRetransmit(t)
	case consensus.TimeoutRequest:
		c.onRequestTimeout(t)
	default:
		return invalid("pbft schedules no %s timeout", t.Kind)
	}
	return nil
}

// current is the validator set of the next height to execute: it names the
// primary of every view and counts VIEW-CHANGEs.
func (c *Core) current() *consensus.ValidatorSet { return c.sets.at(c.lastExecuted + 1) }

func (c *Core) isValidator() bool { return c.self >= 0 }

// primaryOf is the primary of view v: the validator with index v mod N
// [§4.1].
func (c *Core) primaryOf(v int32) int32 {
	return int32(int64(v) % int64(c.current().Size()))
}

func (c *Core) isPrimary() bool { return c.isValidator() && c.primaryOf(c.view) == c.self }

// Validator indexes are positions in a height's set, which the application
// keeps sorted by power: a change of powers can move every validator to
// another index. A message about height h (a pre-prepare, a vote, a
// checkpoint) names its signer by its index in the set of h, which is how
// the driver and every peer look up the key that signed it; only
// VIEW-CHANGE and NEW-VIEW, which carry no height, use the current set.

// selfAt is this replica's index in the set of height h, -1 if it is no
// member of it.
func (c *Core) selfAt(h int64) int32 { return indexOf(c.sets.at(h), c.selfAddr) }

// primaryAt is the index, in the set of height h, of the primary of view v
// (the validator primaryOf names in the current set); -1 if it is no
// member of the set of h.
func (c *Core) primaryAt(v int32, h int64) int32 {
	cur, vals := c.current(), c.sets.at(h)
	p := c.primaryOf(v)
	if vals == cur {
		return p
	}
	return indexOf(vals, cur.Validators[p].Address)
}

// isPrimaryAt reports whether index, in the set of height h, names the
// primary of view v. Two replicas agree on it once they agree on the
// current set; a pre-prepare made before a change of the set that the
// checker has passed since was made by the validator at index v mod N of
// the set of its height, the primary of v when it was made, so that one is
// the primary too. Either way one validator per set, so a view's
// pre-prepares for a height come from at most two validators, and a
// prepared certificate still needs PREPAREs from more than 2/3 of the
// power besides (quorum intersection makes it unique per view and height
// whoever proposed [§4.2]).
func (c *Core) isPrimaryAt(v int32, h int64, index int32) bool {
	if index < 0 {
		return false
	}
	return index == c.primaryAt(v, h) || index == c.rotationAt(v, h)
}

// rotationAt is index v mod N of the set of height h: the primary of view
// v by that set's own order.
func (c *Core) rotationAt(v int32, h int64) int32 {
	return int32(int64(v) % int64(c.sets.at(h).Size()))
}

// currentIndex maps validator index i of the set of height h to that
// validator's index in the current set, -1 if it is no member of it.
func (c *Core) currentIndex(h int64, i int32) int32 {
	cur, vals := c.current(), c.sets.at(h)
	if vals == cur {
		return i
	}
	if !vals.Has(i) {
		return -1
	}
	return indexOf(cur, vals.Validators[i].Address)
}

func (c *Core) low() int64  { return c.stable.Height }
func (c *Core) high() int64 { return c.stable.Height + c.cfg.WatermarkWindow }

// inWindow reports h < n <= h+L [§4.2].
func (c *Core) inWindow(n int64) bool { return n > c.low() && n <= c.high() }

// tooFarAhead reports a view beyond MaxViewsAhead of the replica's own.
func (c *Core) tooFarAhead(v int32) bool {
	return int64(v) > int64(c.view)+int64(c.cfg.MaxViewsAhead)
}

func (c *Core) onTxsAvailable() {
	c.txsSeen = true
	c.progress()
}

// progress re-evaluates what the replica can do in normal operation: the
// primary's proposal and the timers of the current height.
func (c *Core) progress() {
	if !c.active || !c.isValidator() {
		return
	}
	c.tryPropose()
	c.armEmptyBlock()
	c.armProgressTimer()
}
