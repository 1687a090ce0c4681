package engine

import (
	"context"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
)

// The switch of protocol at a scheduled height (Config.Schedule).
//
// The cores know nothing of it: each is an ordinary core of its protocol,
// the second one built as if its chain began at the switch height H with
// the validator set the first one left. The engine is the driver that
// hands the chain over. When the first core has been told that block H-1
// is executed (its commit and the state after it are in the stores), the
// engine drops that step's actions, builds the second core at H and starts
// it. The hand-over is a function of the logged inputs alone, so a replay
// of the write-ahead log repeats it at the same record; no record of its
// own is needed. Snapshots name the protocol that wrote them, so a restart
// after H rebuilds the second core from its own snapshot.
//
// Around H the engine keeps the protocols apart: the first core never
// signs, proposes or asks for a verdict at H or above, inputs for H and
// above wait until the second core runs, the second core never sees the
// first one's messages, blocks or timers. So one slot is never signed by
// both protocols, and the double-sign guard's floor is raised to H.

// maxHeldInputs bounds the inputs kept for the second core while the first
// one finishes; peers retransmit what is dropped beyond it.
const maxHeldInputs = 4096

// firstCoreRuns tells whether the core is the schedule's first protocol
// and a switch is still ahead of it.
func (e *Engine) firstCoreRuns() bool {
	s := e.cfg.Schedule
	return s.Switches() && e.protocol == s.Protocol
}

// screen decides what happens to an input before it is logged: false
// means it is not for the running core. Inputs for the switch height and
// above wait for the second core; the first core's leftovers (its
// messages, timeouts and blocks below the switch height) never reach the
// second one.
func (e *Engine) screen(q queued) bool {
	s := e.cfg.Schedule
	if !s.Switches() {
		return true
	}
	h := consensus.InputHeight(q.in)
	switch {
	case h == 0:
		return true
	case e.firstCoreRuns() && h >= s.SwitchHeight:
		if _, ok := q.in.(consensus.Receive); ok || isSynced(q.in) {
			if len(e.held) < maxHeldInputs {
				e.held = append(e.held, q)
			}
		}
		return false
	case !e.firstCoreRuns() && h < s.SwitchHeight:
		return false
	}
	return true
}

func isSynced(in consensus.Input) bool {
	_, ok := in.(consensus.Synced)
	return ok
}

// beyondFirstCore tells whether an action of the first core concerns the
// switch height or above: the second protocol decides those heights.
func (e *Engine) beyondFirstCore(a consensus.Action) bool {
	if !e.firstCoreRuns() {
		return false
	}
	return consensus.ActionHeight(a) >= e.cfg.Schedule.SwitchHeight
}

// handOverDue tells whether the input just stepped finished the first
// protocol's last height.
func (e *Engine) handOverDue(in consensus.Input) bool {
	x, ok := in.(consensus.Executed)
	h := e.cfg.Schedule.SwitchHeight
	return ok && e.firstCoreRuns() && x.Height == h-1 && e.core.Status().Height == h
}

// handOver replaces the first core by the second at the switch height,
// with next, the validator set that decides it. The first core's pending
// requests and timers die with it; inputs held for the second core are
// queued again, to be logged and stepped in the order they come.
func (e *Engine) handOver(ctx context.Context, next *consensus.ValidatorSet) error {
	s := e.cfg.Schedule
	core, err := e.cfg.NewCore(s.SwitchProtocol, e.self, s.SwitchHeight, next, nil)
	if err != nil {
		return fmt.Errorf("building the %s core for the switch at height %d: %w", s.SwitchProtocol, s.SwitchHeight, err)
	}
	e.log.Info("switching protocol", "from", e.protocol, "to", s.SwitchProtocol, "height", s.SwitchHeight)
	e.core, e.protocol = core, s.SwitchProtocol
	e.generation++
	e.outstanding = nil
	e.verdicts.waiting = nil
	e.waiting = nil
	if e.signer != nil {
		e.signer.SetFloor(s.SwitchHeight)
	}
	held := e.held
	e.held = nil
	if !e.replaying {
		if err := e.logProtocol(s.SwitchHeight); err != nil {
			return err
		}
		e.queue = append(e.queue, held...)
	}
	actions, err := e.core.Step(consensus.Start{})
	if err != nil {
		return fmt.Errorf("starting the %s core at height %d: %w", e.protocol, s.SwitchHeight, err)
	}
	return e.apply(ctx, actions)
}

// logProtocol records that the running core's protocol decides from
// height on (see recProtocol).
func (e *Engine) logProtocol(height int64) error {
	rec := encodeProtocol(e.protocol, height)
	if err := e.p.WAL.Append(rec); err != nil {
		return fmt.Errorf("write-ahead log: %w", err)
	}
	e.logBytes += int64(len(rec))
	return nil
}
