package abci

import (
	"context"

	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// QueryConn carries read-only calls: the handshake's Info and the RPC's
// abci_query and abci_info.
type QueryConn struct{ appConn }

// Info asks the app for its last committed height and app hash.
func (c *QueryConn) Info(ctx context.Context, req *abcitypes.RequestInfo) (*abcitypes.ResponseInfo, error) {
	return call(ctx, &c.appConn, "Info", func(ctx context.Context) (*abcitypes.ResponseInfo, error) {
		return c.client.Info(ctx, req)
	})
}

// Query reads the app's state. A non-zero Code in the response is the app's
// answer, not an error.
func (c *QueryConn) Query(ctx context.Context, req *abcitypes.RequestQuery) (*abcitypes.ResponseQuery, error) {
	return call(ctx, &c.appConn, "Query", func(ctx context.Context) (*abcitypes.ResponseQuery, error) {
		return c.client.Query(ctx, req)
	})
}
