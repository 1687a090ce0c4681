package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/internal/failpoint"
	"github.com/bftnode/bftnode/wire"
	"github.com/cometbft/cometbft/types"
)

// apply carries out a step's actions in order.
func (e *Engine) apply(ctx context.Context, actions []consensus.Action) error {
	for _, a := range actions {
		if err := e.applyOne(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) applyOne(ctx context.Context, a consensus.Action) error {
	if e.beyondFirstCore(a) {
		return nil
	}
	if e.replaying {
		e.deferDuringReplay(a)
		return nil
	}
	switch a := a.(type) {
	case consensus.Broadcast:
		return e.broadcastOwn(ctx, a.Msg)
	case consensus.Send:
		e.send(a.Msg, true)
	case consensus.SetTimeout:
		e.setTimer(a.Timeout, a.After)
	case consensus.RequestProposal:
		return e.requestProposal(ctx, a)
	case consensus.RequestVerdict:
		return e.requestVerdict(ctx, a)
	case consensus.Decide:
		return e.decide(ctx, a)
	case consensus.Evidence:
		e.evidence.report(e, a)
	case consensus.FetchBlocks:
		e.sync.fetch(a.From, a.To)
	case consensus.SaveSnapshot:
		return e.saveSnapshot(a)
	default:
		return fmt.Errorf("core returned an unknown action %T", a)
	}
	return nil
}

// broadcastOwn signs one of the node's own messages, hands it back to the
// core and sends it to every peer. The log is made durable first, so the
// inputs that led to this message survive a crash and a restarted node
// signs the same thing again, never something different.
func (e *Engine) broadcastOwn(ctx context.Context, m consensus.Message) error {
	if e.signer == nil {
		return fmt.Errorf("core asked a non-validator to sign a %T", m)
	}
	if err := e.p.WAL.Sync(); err != nil {
		return fmt.Errorf("write-ahead log: %w", err)
	}
	signed, err := e.signer.Sign(m, time.Now())
	if errors.Is(err, errBelowFloor) {
		e.log.Debug("not signing below the floor", "err", err)
		return nil
	}
	if _, isProposal := m.(*consensus.Proposal); isProposal && errors.Is(err, ErrDoubleSign) {
		// A restarted proposer whose earlier proposal for this round is
		// remembered but whose block is not: not proposing is safe, and
		// the round times out as if the proposer were slow.
		e.log.Warn("not proposing again for a round already proposed in", "err", err)
		return nil
	}
	if err != nil {
		return err
	}
	if signed, err = e.extendOwn(ctx, signed); err != nil {
		return err
	}
	q := queued{in: consensus.Receive{Msg: signed}, own: true}
	if p, ok := signed.(*consensus.Proposal); ok {
		q.block = e.blocks.get(p.Value)
	}
	e.queue = append(e.queue, q)
	e.send(signed, false)
	failpoint.Hit(failpoint.SignedBeforeLogged)
	return nil
}

// resendBlockBytes is the most transaction bytes a block may hold for a
// resent proposal to carry it. A core resends its undecided proposals at
// every retransmission tick (PBFT's primary every pre-prepare in its
// window), and most peers already hold the block: with large blocks the
// resends alone would fill the proposer's uplink. A peer that lacks a
// large block asks for it by ID when the resent proposal arrives.
const resendBlockBytes = 64 << 10

// send gossips an already signed message, with its block beside a
// proposal when the node has it, unless this is a resend of a large one.
func (e *Engine) send(m consensus.Message, resend bool) {
	cm := wire.ConsensusMessage{Msg: m}
	if p, ok := m.(*consensus.Proposal); ok {
		cm.Block = e.blocks.get(p.Value)
		if resend && cm.Block != nil && txBytes(cm.Block) > resendBlockBytes {
			cm.Block = nil
		}
	}
	b, err := wire.EncodeConsensus(cm)
	if err != nil {
		e.log.Error("cannot encode own message", "type", fmt.Sprintf("%T", m), "err", err)
		return
	}
	e.p.Net.Broadcast(ChannelConsensus, b)
	if misbehave != nil {
		misbehave(e, m)
	}
}

func txBytes(b *types.Block) int {
	n := 0
	for _, tx := range b.Txs {
		n += len(tx)
	}
	return n
}

func (e *Engine) setTimer(t consensus.Timeout, after time.Duration) {
	gen := e.generation
	time.AfterFunc(after, func() { e.postTimer(t, gen) })
}

// resetThreshold is how much log a snapshot lets pile up before it
// rewrites the log from scratch. Until then a snapshot is one more record:
// a restart replays from the latest one, and the node saves the fsyncs a
// rewrite costs on every height.
const resetThreshold = 32 << 20

func (e *Engine) saveSnapshot(a consensus.SaveSnapshot) error {
	if e.signer != nil {
		e.signer.SetFloor(a.SignFloor)
	}
	rec := encodeSnapshot(e.protocol, a)
	if e.logBytes+int64(len(rec)) < resetThreshold {
		e.logBytes += int64(len(rec))
		if err := e.p.WAL.Append(rec); err != nil {
			return fmt.Errorf("write-ahead log: %w", err)
		}
		return nil
	}
	// Keep the guard's memory above the floor across the rewrite, in the
	// same atomic reset: a crash right after it must not leave a snapshot
	// without the messages signed at its height (a restarted proposer would
	// otherwise sign a second proposal for the same round).
	var guarded [][]byte
	size := int64(len(rec))
	if e.signer != nil {
		for _, m := range e.signer.Guarded() {
			g, err := encodeSigned(m)
			if err != nil {
				return err
			}
			guarded = append(guarded, g)
			size += int64(len(g))
		}
	}
	if err := e.p.WAL.Reset(rec, guarded...); err != nil {
		return fmt.Errorf("write-ahead log: saving a snapshot: %w", err)
	}
	e.logBytes = size
	return nil
}
