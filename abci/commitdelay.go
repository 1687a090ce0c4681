package abci

import (
	"context"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// WithCommitDelay returns app with every Commit made d slower, so the
// built-in kvstore can stand in for an application whose Commit writes
// its stores to disk, as a Cosmos SDK chain's does (milliseconds a block).
// Benchmarks use it to see how block production follows an
// application's cost per block.
func WithCommitDelay(app abcitypes.Application, d time.Duration) abcitypes.Application {
	if d <= 0 {
		return app
	}
	return delayedCommit{Application: app, delay: d}
}

type delayedCommit struct {
	abcitypes.Application
	delay time.Duration
}

func (a delayedCommit) Commit(ctx context.Context, req *abcitypes.RequestCommit) (*abcitypes.ResponseCommit, error) {
	t := time.NewTimer(a.delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return a.Application.Commit(ctx, req)
}
