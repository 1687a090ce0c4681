package sim

import (
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// Protocol describes a consensus core to the simulator.
type Protocol struct {
	// Name is how the command line and the output call the protocol.
	Name string
	// New builds the core of the validator with address self from the
	// genesis validator set and, after a restart, the latest snapshot the
	// core asked to save (nil on first start).
	New func(self []byte, genesis *consensus.ValidatorSet, snapshot []byte) (consensus.Core, error)
	// NilDecisions reports that deciding Nil is valid (PBFT's null
	// request fills a sequence number with nothing).
	NilDecisions bool
	// StableViews reports that Status().Round is a view that lasts across
	// heights until a view change (PBFT): under honest saturation it must
	// stay 0.
	StableViews bool
	// LivenessBound is how long (virtual time) after the network heals
	// every honest node has to decide new heights. Zero means one minute.
	LivenessBound time.Duration
	// NewAt builds a core whose chain begins at height first with the
	// validator set vals (snapshot nil), or resumes it from a snapshot: the
	// constructor of a protocol a chain switches to (see Switch).
	NewAt func(self []byte, first int64, vals *consensus.ValidatorSet, snapshot []byte) (consensus.Core, error)
	// Stable reports a core's stable checkpoint (PBFT's [§4.3]): its
	// height and application hash; ok is false when the core has none
	// yet or keeps no checkpoints. Nil for a protocol without them. The
	// checker holds every honest node's stable checkpoint to the
	// application hash that honest nodes computed at its height.
	Stable func(consensus.Core) (height int64, appHash []byte, ok bool)

	// then takes over from height switchAt; see Switch.
	then     *Protocol
	switchAt int64
}

// Switch is a chain that runs first below height and second from it on,
// as a node with [consensus] switch_height does: each node's driver hands
// the chain from its first core to a second one when it has executed
// height-1 (see sim/switch.go). second needs NewAt.
func Switch(first, second Protocol, height int64) Protocol {
	p := first
	p.Name = first.Name + "-" + second.Name
	p.NilDecisions = first.NilDecisions || second.NilDecisions
	p.LivenessBound = max(first.livenessBound(), second.livenessBound())
	p.then, p.switchAt = &second, height
	return p
}

// SwitchHeight is the height a switching protocol hands over at, 0 for a
// protocol that does not switch.
func (p Protocol) SwitchHeight() int64 { return p.switchAt }

const defaultLivenessBound = time.Minute

func (p Protocol) livenessBound() time.Duration {
	if p.LivenessBound > 0 {
		return p.LivenessBound
	}
	return defaultLivenessBound
}
