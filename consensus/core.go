package consensus

import "errors"

// Core is a consensus protocol as a deterministic state machine.
type Core interface {
	// Step applies one input and returns the actions it causes. An input
	// that is malformed or breaks the protocol's rules is rejected with an
	// error wrapping ErrInvalidInput; the core's state is then unchanged
	// and stepping may continue. Any other error means an invariant broke
	// (for example a decision conflicting with an earlier one): the driver
	// must halt rather than risk a fork.
	Step(Input) ([]Action, error)

	// Status reports where the core is, for logs, metrics and RPC.
	Status() Status
}

// Status is a core's position. For PBFT, Round is the view and Height the
// next sequence number to execute.
type Status struct {
	Height int64
	Round  int32
	Step   string
}

// ErrInvalidInput marks an input a core rejected; the core is unchanged.
var ErrInvalidInput = errors.New("invalid input")
