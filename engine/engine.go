package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/state"
	"github.com/bftnode/bftnode/store"
	"github.com/bftnode/bftnode/wal"
	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/types"
)

// CoreFactory builds a core of the named protocol. first is the first
// height that protocol decides on this chain (the genesis initial height,
// or the switch height) and vals the validator set of that height. With
// snapshot nil the core starts at first, otherwise it resumes where the
// snapshot was taken.
type CoreFactory func(protocol string, self []byte, first int64, vals *consensus.ValidatorSet, snapshot []byte) (consensus.Core, error)

// Config is what the engine needs to know beyond its parts.
type Config struct {
	// Schedule says which protocol decides which height.
	Schedule consensus.Schedule
	NewCore  CoreFactory
	// Protocols lists every protocol NewCore builds, so that a snapshot
	// written by a protocol the schedule does not name can be told from a
	// damaged one.
	Protocols []string
	// Key is the validator key; nil for a node that only follows.
	Key crypto.PrivKey
	// Describe returns the core's own round or view state for RPC; may be
	// nil.
	Describe func(consensus.Core) any
	// SyncInterval is how often the engine asks peers how far they are.
	SyncInterval time.Duration
	Logger       *slog.Logger
}

// Parts are the engine's collaborators; the node builds and owns them.
type Parts struct {
	Genesis  *types.GenesisDoc
	Blocks   *store.BlockStore
	States   *store.StateStore
	WAL      *wal.WAL
	App      App
	AppInfo  AppInfo
	Mempool  Mempool // may be set after the handshake, before Run
	Net      Network
	EventBus *types.EventBus // optional
	// WantTxEvents tells whether anyone may receive Tx events; when it
	// says no, a block's Tx events are not built. nil: always.
	WantTxEvents func() bool
	// Listeners hear of every executed block (indexers).
	Listeners []BlockListener
}

// Engine is one node's consensus driver. Only Run's goroutine touches its
// fields, except those documented otherwise.
type Engine struct {
	cfg   Config
	p     Parts
	log   *slog.Logger
	state state.State
	// synced is the height state sync bootstrapped the node at; 0 for a
	// node that executed its chain from genesis.
	synced int64

	core consensus.Core
	// protocol names the running core; generation counts the cores run
	// since the start, so that timers of a replaced core are dropped.
	protocol   string
	generation int
	// held are inputs for the switch height and above that arrived while
	// the first protocol finished; the second core gets them.
	held      []queued
	signer    *Signer
	self      []byte
	queue     []queued
	replaying bool

	blocks   *blockCache
	verdicts *verdictWaits
	waiting  *decideWait
	evidence *evidencePool
	late     *lateVotes
	cost     blockCost
	sync     *syncer
	verify   *verifier
	// proposeLater is a proposal held for late precommits or for
	// transactions to batch; backlog counts
	// the events queued when it was asked for that are still to be
	// handled before it goes out.
	proposeLater *consensus.RequestProposal
	backlog      int
	// heldVotes are extended precommits for a height the application has
	// not reached, which it cannot judge yet.
	heldVotes []verifiedMessage
	// pub publishes executed blocks' events while Run runs; nil before.
	pub *publisher

	// outstanding holds actions produced while replaying the log, until
	// the log shows they were answered.
	outstanding []consensus.Action
	// logBytes counts what the log holds since it was last rewritten.
	logBytes int64
	// done closes when Run returns, releasing timer goroutines.
	done chan struct{}

	// events is how other goroutines reach the driver.
	events chan event
	// views holds the latest View (refreshView) for RPC and metrics;
	// read from any goroutine.
	views atomic.Pointer[View]
	// verifying holds the data verification reads; replaced by the
	// driver after every executed block.
	verifying atomic.Pointer[verifyContext]
	// peerTop is the highest height a peer reported (block sync's
	// status), for verifiers: a node behind its peers may not know the
	// validator set they sign VIEW-CHANGEs with.
	peerTop atomic.Int64
}

type queued struct {
	in    consensus.Input
	own   bool
	block *types.Block
}

// New loads the latest state (or genesis) and prepares the engine. It
// talks to nothing yet.
func New(cfg Config, p Parts) (*Engine, error) {
	if cfg.NewCore == nil {
		return nil, errors.New("engine: no core factory")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SyncInterval <= 0 {
		cfg.SyncInterval = time.Second
	}
	st, ok, err := p.States.Load()
	if err != nil {
		return nil, fmt.Errorf("loading chain state: %w", err)
	}
	synced, err := p.States.SyncedHeight()
	if err != nil {
		return nil, err
	}
	if !ok {
		if st, err = state.FromGenesis(p.Genesis); err != nil {
			return nil, fmt.Errorf("genesis: %w", err)
		}
	}
	e := &Engine{
		cfg:      cfg,
		p:        p,
		log:      cfg.Logger,
		state:    st,
		synced:   synced,
		blocks:   newBlockCache(256),
		verdicts: newVerdictWaits(),
		evidence: newEvidencePool(),
		late:     newLateVotes(),
		events:   make(chan event, 8192),
		protocol: cfg.Schedule.At(st.LastBlockHeight + 1),
	}
	if cfg.Key != nil {
		e.signer = NewSigner(cfg.Key, st.ChainID)
		e.self = cfg.Key.PubKey().Address()
	}
	e.sync = newSyncer(e)
	e.verify = newVerifier(e)
	e.done = make(chan struct{})
	e.refreshVerifyContext()
	e.refreshView()
	return e, nil
}

// PubKey is the validator key's public half, nil for a node without one.
func (e *Engine) PubKey() crypto.PubKey {
	if e.cfg.Key == nil {
		return nil
	}
	return e.cfg.Key.PubKey()
}

// SetMempool gives the engine its mempool, which is built after the
// handshake; call it before Run.
func (e *Engine) SetMempool(m Mempool) { e.p.Mempool = m }

// State returns a copy of the latest executed state. Driver goroutine only
// once Run started; use View from elsewhere.
func (e *Engine) State() state.State { return e.state.Copy() }

// Run recovers the core from its snapshot and log, then drives it until
// ctx ends or an invariant breaks. The handshake must have run.
func (e *Engine) Run(ctx context.Context) error {
	if e.p.Mempool == nil {
		return errors.New("engine: Run needs a mempool")
	}
	defer close(e.done)
	defer e.startPublisher()()
	if err := e.recover(ctx); err != nil {
		return e.stopped(ctx, err)
	}
	syncTick := time.NewTicker(e.cfg.SyncInterval)
	defer syncTick.Stop()
	e.sync.poll()
	for {
		select {
		case <-ctx.Done():
			return e.p.WAL.Sync()
		case ev := <-e.events:
			if e.backlog > 0 {
				e.backlog--
			}
			if err := e.handle(ctx, ev); err != nil {
				return e.stopped(ctx, err)
			}
		case <-e.p.Mempool.TxsAvailable():
			e.enqueue(consensus.TxsAvailable{})
		case <-syncTick.C:
			e.sync.poll()
			e.refetchMissing()
		}
		if err := e.drain(ctx); err != nil {
			return e.stopped(ctx, err)
		}
	}
}

// stopped tells a failure from the node shutting down in the middle of a
// step (a cancelled context makes application and mempool calls fail).
func (e *Engine) stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return e.p.WAL.Sync()
	}
	return err
}

func (e *Engine) enqueue(in consensus.Input) { e.queue = append(e.queue, queued{in: in}) }

// drain steps the core with every queued input, logging each first, and
// hands it fetched blocks as the chain reaches them.
func (e *Engine) drain(ctx context.Context) error {
	for {
		for len(e.queue) > 0 {
			q := e.queue[0]
			e.queue = e.queue[1:]
			if err := e.step(ctx, q); err != nil {
				return err
			}
		}
		e.sync.advance()
		if _, err := e.resumeDecision(ctx); err != nil {
			return err
		}
		if err := e.proposeIfDue(ctx); err != nil {
			return err
		}
		if err := e.releaseHeldVotes(ctx); err != nil {
			return err
		}
		if len(e.queue) == 0 {
			break
		}
	}
	e.saveLateVotes()
	e.refreshView()
	return nil
}

func (e *Engine) step(ctx context.Context, q queued) error {
	if !e.screen(q) {
		if !e.firstCoreRuns() {
			// A late precommit of the first protocol's last block still
			// joins the LastCommit of the second protocol's first block.
			e.observeVote(q.in)
		}
		return nil
	}
	if !e.replaying {
		rec, err := encodeInput(q.in, q.own, q.block)
		if err != nil {
			return fmt.Errorf("encoding input %T for the log: %w", q.in, err)
		}
		if err := e.p.WAL.Append(rec); err != nil {
			return fmt.Errorf("write-ahead log: %w", err)
		}
		e.logBytes += int64(len(rec))
	}
	e.observeVote(q.in)
	actions, err := e.core.Step(q.in)
	if err != nil {
		if errors.Is(err, consensus.ErrInvalidInput) {
			e.log.Debug("core rejected input", "input", fmt.Sprintf("%T", q.in), "err", err)
			counters.rejectedInputs.Add(1)
			return nil
		}
		return fmt.Errorf("consensus halted: %w", err)
	}
	if e.handOverDue(q.in) {
		x := q.in.(consensus.Executed)
		return e.handOver(ctx, x.Next)
	}
	return e.apply(ctx, actions)
}

// post hands an event to the driver from another goroutine. It never
// blocks: a full queue drops the event (peers retransmit, timers are
// re-armed by the core's own retransmission).
func (e *Engine) post(ev event) {
	select {
	case e.events <- ev:
	default:
		counters.droppedEvents.Add(1)
	}
}

// postTimer hands a fired timer to the driver, waiting for room: a lost
// timer could stall the core.
func (e *Engine) postTimer(t consensus.Timeout, gen int) {
	select {
	case e.events <- timerFired{t, gen}:
	case <-e.done:
	}
}
