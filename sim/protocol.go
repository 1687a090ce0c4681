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
	// LivenessBound is how long (virtual time) after the network heals
	// every honest node has to decide new heights. Zero means one minute.
	LivenessBound time.Duration
}

const defaultLivenessBound = time.Minute

func (p Protocol) livenessBound() time.Duration {
	if p.LivenessBound > 0 {
		return p.LivenessBound
	}
	return defaultLivenessBound
}
