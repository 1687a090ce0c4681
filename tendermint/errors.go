package tendermint

import (
	"errors"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
)

// ErrBrokenInvariant marks an error after which the node must halt: the core
// saw something that only more than 1/3 faulty voting power or a
// nondeterministic application can cause, such as a decision for a value the
// application rejected or two different decisions at one height.
var ErrBrokenInvariant = errors.New("tendermint: broken invariant, halting to avoid a fork")

// invalidf reports input the core rejected; it wraps consensus.ErrInvalidInput.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("tendermint: %s: %w", fmt.Sprintf(format, args...), consensus.ErrInvalidInput)
}

// brokenf reports a broken invariant; it wraps ErrBrokenInvariant.
func brokenf(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrBrokenInvariant)
}
