package engine

import (
	"context"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
)

// recover rebuilds the core from its latest snapshot and replays every
// input logged after it through the same Step path, following the replay
// protocol of consensus.Resolve: actions the replay produces are held
// rather than carried out, since the log already holds their answers (the
// application's proposals and verdicts, executed blocks, the node's own
// signed messages). Those left unanswered when the log ends are carried
// out afterwards, timers are re-armed, the core is told to resume, and
// blocks the store holds beyond the core's position are handed to it.
func (e *Engine) recover(ctx context.Context) error {
	recs, err := e.readLog()
	if err != nil {
		return err
	}
	snapshot, written, recs := e.latestSnapshot(recs)
	if err := e.rebuildCore(snapshot, written); err != nil {
		return err
	}
	e.log.Info("replaying the write-ahead log", "protocol", e.protocol, "records", len(recs), "snapshot", snapshot != nil)
	if err := e.replay(ctx, recs, snapshot != nil); err != nil {
		return err
	}
	unanswered := e.outstanding
	e.outstanding = nil
	if err := e.apply(ctx, unanswered); err != nil {
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

// readLog decodes every record of the write-ahead log.
func (e *Engine) readLog() ([]logged, error) {
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
	return recs, err
}

// latestSnapshot finds the latest snapshot in recs and returns it, the
// protocol that wrote it (or the log's first protocol when there is none)
// and the records after it. The node's own signed messages before it still
// teach the double-sign guard, and its sign floor is restored.
func (e *Engine) latestSnapshot(recs []logged) (snapshot []byte, written string, after []logged) {
	written = firstProtocol(recs)
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].kind != recSnapshot {
			continue
		}
		if e.signer != nil {
			e.signer.SetFloor(recs[i].signFloor)
			for _, l := range recs[:i] {
				if l.kind == recOwn || l.kind == recSigned {
					e.signer.Observe(l.input.(consensus.Receive).Msg)
				}
			}
		}
		return recs[i].snapshot, recs[i].protocol, recs[i+1:]
	}
	return nil, written, recs
}

// replay steps the rebuilt core with the logged inputs, holding the
// actions they produce (deferDuringReplay) until the log shows which were
// answered. A core rebuilt from a snapshot is idle; it resumes with Start,
// as it did when the snapshot was taken. Without a snapshot the log begins
// with the node's first Start, unless it is empty.
func (e *Engine) replay(ctx context.Context, recs []logged, fromSnapshot bool) error {
	e.replaying = true
	defer func() { e.replaying = false }()
	if fromSnapshot {
		if err := e.step(ctx, queued{in: consensus.Start{}}); err != nil {
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
		own := l.kind == recOwn
		if own && e.signer != nil {
			e.signer.Observe(l.input.(consensus.Receive).Msg)
		}
		e.outstanding = consensus.Resolve(e.outstanding, l.input, own)
		if err := e.step(ctx, queued{in: l.input, own: own, block: l.block}); err != nil {
			return err
		}
		e.queue = e.queue[:0] // their logged versions follow in the log
	}
	return nil
}

// deferDuringReplay holds an action produced while replaying until the
// replay shows whether it was answered. Retransmissions and snapshots are
// dropped (see consensus.Resolve) and evidence is reported at once.
func (e *Engine) deferDuringReplay(a consensus.Action) {
	switch a := a.(type) {
	case consensus.Send, consensus.SaveSnapshot:
		return
	case consensus.Evidence:
		e.evidence.report(e, a)
		return
	}
	e.outstanding = append(e.outstanding, a)
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
