package node

import (
	"context"
	"errors"
	"log/slog"

	"github.com/bftnode/bftnode/config"
)

// Run runs the node described by cfg until ctx is cancelled.
func Run(ctx context.Context, cfg *config.Config, logger *slog.Logger) error {
	return errors.New("the node is not built into this binary")
}
