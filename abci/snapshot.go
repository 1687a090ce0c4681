package abci

import (
	"context"

	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// SnapshotConn carries the state-sync calls: serving our snapshots to peers
// and restoring one.
type SnapshotConn struct{ appConn }

// ListSnapshots asks the app which snapshots it can serve.
func (c *SnapshotConn) ListSnapshots(ctx context.Context) (*abcitypes.ResponseListSnapshots, error) {
	return call(ctx, &c.appConn, "ListSnapshots", func(ctx context.Context) (*abcitypes.ResponseListSnapshots, error) {
		return c.client.ListSnapshots(ctx, &abcitypes.RequestListSnapshots{})
	})
}

// OfferSnapshot offers the app a snapshot found on the network.
func (c *SnapshotConn) OfferSnapshot(ctx context.Context, req *abcitypes.RequestOfferSnapshot) (*abcitypes.ResponseOfferSnapshot, error) {
	return call(ctx, &c.appConn, "OfferSnapshot", func(ctx context.Context) (*abcitypes.ResponseOfferSnapshot, error) {
		return c.client.OfferSnapshot(ctx, req)
	})
}

// LoadSnapshotChunk reads one chunk of one of our snapshots for a peer.
func (c *SnapshotConn) LoadSnapshotChunk(ctx context.Context, req *abcitypes.RequestLoadSnapshotChunk) (*abcitypes.ResponseLoadSnapshotChunk, error) {
	return call(ctx, &c.appConn, "LoadSnapshotChunk", func(ctx context.Context) (*abcitypes.ResponseLoadSnapshotChunk, error) {
		return c.client.LoadSnapshotChunk(ctx, req)
	})
}

// ApplySnapshotChunk hands the app one chunk of the snapshot it accepted.
func (c *SnapshotConn) ApplySnapshotChunk(ctx context.Context, req *abcitypes.RequestApplySnapshotChunk) (*abcitypes.ResponseApplySnapshotChunk, error) {
	return call(ctx, &c.appConn, "ApplySnapshotChunk", func(ctx context.Context) (*abcitypes.ResponseApplySnapshotChunk, error) {
		return c.client.ApplySnapshotChunk(ctx, req)
	})
}
