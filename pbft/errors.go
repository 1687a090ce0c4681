package pbft

import (
	"errors"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
)

// ErrBrokenInvariant marks an error after which the replica must halt: two
// conflicting decisions, a committed null request, or an application whose
// state diverged from the stable checkpoint. Continuing could fork the
// chain.
var ErrBrokenInvariant = errors.New("pbft invariant broken")

// invalid wraps consensus.ErrInvalidInput: the input was rejected and the
// core is unchanged.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{consensus.ErrInvalidInput}, args...)...)
}

// broken wraps ErrBrokenInvariant.
func broken(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrBrokenInvariant}, args...)...)
}
