package sim

import (
	"math/rand/v2"
	"slices"

	"github.com/bftnode/bftnode/consensus"
)

// wal is a node's simulated write-ahead log: the latest snapshot (always
// durable), the inputs logged after it, and how many of those were made
// durable by the last fsync.
type wal struct {
	snapshot []byte
	second   bool // the snapshot is the switching protocol's second core's
	entries  []logged
	durable  int
}

// logged is an input as the log keeps it; own marks the node's own signed
// messages handed back to its core, which answer its Broadcasts on replay
// (consensus.Resolve).
type logged struct {
	in  consensus.Input
	own bool
}

// append logs in. The log keeps its own copy, as a real log keeps bytes,
// so nothing a core does to its input can change what replays.
func (l *wal) append(in consensus.Input, own bool) {
	l.entries = append(l.entries, logged{cloneInput(in), own})
}

// sync makes everything logged so far durable.
func (l *wal) sync() { l.durable = len(l.entries) }

// saveSnapshot durably replaces the snapshot and truncates the log: the
// inputs before the snapshot are no longer needed.
func (l *wal) saveSnapshot(state []byte, second bool) {
	l.snapshot, l.second = slices.Clone(state), second
	l.entries = nil
	l.durable = 0
}

// crash keeps what survives a power cut: the durable prefix and a random
// prefix of the rest (the OS may have written some of it).
func (l *wal) crash(rng *rand.Rand) {
	keep := l.durable + rng.IntN(len(l.entries)-l.durable+1)
	clear(l.entries[keep:])
	l.entries = l.entries[:keep]
	l.durable = keep
}

// takeForReplay empties the log and returns what it held.
func (l *wal) takeForReplay() []logged {
	kept := l.entries
	l.entries, l.durable = nil, 0
	return kept
}

// cloneInput deep-copies the parts of an input a core could modify.
func cloneInput(in consensus.Input) consensus.Input {
	switch in := in.(type) {
	case consensus.Receive:
		return consensus.Receive{Msg: cloneMessage(in.Msg)}
	case consensus.Executed:
		out := consensus.Executed{Height: in.Height, AppHash: slices.Clone(in.AppHash)}
		if in.Next != nil {
			out.Next = in.Next.Copy()
		}
		return out
	case consensus.Synced:
		return consensus.Synced{Height: in.Height, Value: in.Value, Commit: cloneVotes(in.Commit)}
	}
	return in
}
