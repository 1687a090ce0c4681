package engine

import (
	"context"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
)

// recover rebuilds the core from its latest snapshot and replays every
// input logged after it through the same Step path. Actions the replay
// produces are not carried out while replaying: the log already holds
// their answers (the application's proposals and verdicts, executed
// blocks, the node's own signed messages). Those left unanswered when the
// log ends are carried out afterwards, timers are re-armed, the core is
// told to resume, and blocks the store holds beyond the core's position
// are handed to it.
func (e *Engine) recover(ctx context.Context) error {
	var recs []logged
	err := e.p.WAL.Replay(func(rec []byte) error {
		e.logBytes += int64(len(rec))
		l, err := decodeRecord(rec)
		if err != nil {
			return fmt.Errorf("write-ahead log record %d: %w", len(recs), err)
		}
		recs = append(recs, l)
		return nil
	})
	if err != nil {
		return err
	}
	// Restart from the latest snapshot; the node's own signed messages
	// before it still teach the double-sign guard.
	var snapshot []byte
	written := firstProtocol(recs)
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].kind != recSnapshot {
			continue
		}
		snapshot, written = recs[i].snapshot, recs[i].protocol
		if e.signer != nil {
			e.signer.SetFloor(recs[i].signFloor)
			for _, l := range recs[:i] {
				if l.kind == recOwn || l.kind == recSigned {
					e.signer.Observe(l.input.(consensus.Receive).Msg)
				}
			}
		}
		recs = recs[i+1:]
		break
	}
	if err := e.rebuildCore(snapshot, written); err != nil {
		return err
	}
	e.log.Info("replaying the write-ahead log", "protocol", e.protocol, "records", len(recs), "snapshot", snapshot != nil)

	e.replaying = true
	// A core rebuilt from a snapshot is idle; it resumes with Start, as it
	// did when the snapshot was taken. Without a snapshot the log begins
	// with the node's first Start, unless it is empty.
	if snapshot != nil {
		if err := e.step(ctx, queued{in: consensus.Start{}}); err != nil {
			e.replaying = false
			return err
		}
		e.queue = e.queue[:0]
	}
	for _, l := range recs {
		if l.kind == recSigned {
			if e.signer != nil {
				e.signer.Observe(l.input.(consensus.Receive).Msg)
			}
			continue
		}
		if l.kind == recSnapshot || l.kind == recProtocol {
			continue
		}
		e.cacheLoggedBlock(l)
		if l.kind == recOwn && e.signer != nil {
			e.signer.Observe(l.input.(consensus.Receive).Msg)
		}
		e.resolve(l.input, l.kind == recOwn)
		if err := e.step(ctx, queued{in: l.input, own: l.kind == recOwn, block: l.block}); err != nil {
			e.replaying = false
			return err
		}
		e.queue = e.queue[:0] // their logged versions follow in the log
	}
	e.replaying = false

	pending := e.outstanding
	e.outstanding = nil
	if err := e.apply(ctx, pending); err != nil {
		return err
	}
	if snapshot == nil && !holdsInputs(recs) {
		if written == "" {
			if err := e.logProtocol(e.core.Status().Height); err != nil {
				return err
			}
		}
		e.enqueue(consensus.Start{})
	}
	if err := e.drain(ctx); err != nil {
		return err
	}
	return e.catchUpFromStore(ctx)
}

// deferDuringReplay keeps an action produced while replaying until the
// replay shows whether it was answered.
func (e *Engine) deferDuringReplay(a consensus.Action) {
	switch a.(type) {
	case consensus.Send:
		return // retransmissions: the core repeats them on its own timer
	case consensus.Evidence:
		e.evidence.report(e, a.(consensus.Evidence))
		return
	}
	e.outstanding = append(e.outstanding, a)
}

// resolve drops the outstanding actions a logged input answers.
func (e *Engine) resolve(in consensus.Input, own bool) {
	kept := e.outstanding[:0]
	for _, a := range e.outstanding {
		if !answers(in, own, a) {
			kept = append(kept, a)
		}
	}
	e.outstanding = kept
}

func answers(in consensus.Input, own bool, a consensus.Action) bool {
	switch a := a.(type) {
	case consensus.RequestProposal:
		r, ok := in.(consensus.ProposalReady)
		return ok && r.Height == a.Height && r.Round == a.Round
	case consensus.RequestVerdict:
		v, ok := in.(consensus.Verdict)
		return ok && v.Height == a.Height && v.Value == a.Value
	case consensus.Decide:
		x, ok := in.(consensus.Executed)
		return ok && x.Height == a.Height
	case consensus.Broadcast:
		r, ok := in.(consensus.Receive)
		return ok && own && sameSlot(r.Msg, a.Msg)
	case consensus.SetTimeout:
		t, ok := in.(consensus.TimeoutFired)
		return ok && t.Timeout == a.Timeout
	}
	return false
}

// sameSlot tells whether two of the node's own messages are the same
// message (before and after signing).
func sameSlot(a, b consensus.Message) bool {
	switch a := a.(type) {
	case *consensus.Proposal:
		b, ok := b.(*consensus.Proposal)
		return ok && a.Height == b.Height && a.Round == b.Round
	case *consensus.Vote:
		b, ok := b.(*consensus.Vote)
		return ok && a.Type == b.Type && a.Height == b.Height && a.Round == b.Round
	case *consensus.Checkpoint:
		b, ok := b.(*consensus.Checkpoint)
		return ok && a.Height == b.Height
	case *consensus.ViewChange:
		b, ok := b.(*consensus.ViewChange)
		return ok && a.View == b.View
	case *consensus.NewView:
		b, ok := b.(*consensus.NewView)
		return ok && a.View == b.View
	}
	return false
}

// catchUpFromStore hands the core every block the store holds beyond the
// core's position (the log may have lost its unsynced tail while the block
// store, written with fsync, kept the blocks).
func (e *Engine) catchUpFromStore(ctx context.Context) error {
	for {
		h := e.core.Status().Height
		if h > e.state.LastBlockHeight || h < e.p.Blocks.Base() {
			return nil
		}
		in, err := e.syncedFromStore(h)
		if err != nil {
			return err
		}
		e.enqueue(in)
		if err := e.drain(ctx); err != nil {
			return err
		}
		if e.core.Status().Height == h {
			return fmt.Errorf("the core did not accept stored block %d", h)
		}
	}
}

// cacheLoggedBlock keeps a block logged beside a proposal or a prepared
// proposal, under the ID its input names.
func (e *Engine) cacheLoggedBlock(l logged) {
	switch in := l.input.(type) {
	case consensus.Receive:
		if p, ok := in.Msg.(*consensus.Proposal); ok {
			e.blocks.add(p.Value, l.block)
		}
	case consensus.ProposalReady:
		e.blocks.add(in.Value, l.block)
	}
}

// firstProtocol is the protocol the log says its first core ran, "" when
// it does not say (a log written before it did).
func firstProtocol(recs []logged) string {
	for _, l := range recs {
		if l.kind == recProtocol {
			return l.protocol
		}
	}
	return ""
}

// holdsInputs tells whether the log holds an input: a log that holds
// none has not started its core yet.
func holdsInputs(recs []logged) bool {
	for _, l := range recs {
		if l.input != nil && l.kind != recSigned {
			return true
		}
	}
	return false
}
