package rpc

import (
	abci "github.com/cometbft/cometbft/abci/types"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	"github.com/cometbft/cometbft/version"
)

// infoRequest is the Info request CometBFT's RPC sends the app.
var infoRequest = &abci.RequestInfo{
	Version:      version.TMCoreSemVer,
	BlockVersion: version.BlockProtocol,
	P2PVersion:   version.P2PProtocol,
	AbciVersion:  version.ABCIVersion,
}

func (r *routes) abciQuery(ctx *rpctypes.Context, path string, data cmtbytes.HexBytes, height int64, prove bool) (*coretypes.ResultABCIQuery, error) {
	res, err := r.env.App.Query(ctx.Context(), &abci.RequestQuery{Path: path, Data: data, Height: height, Prove: prove})
	if err != nil {
		return nil, err
	}
	return &coretypes.ResultABCIQuery{Response: *res}, nil
}

func (r *routes) abciInfo(ctx *rpctypes.Context) (*coretypes.ResultABCIInfo, error) {
	res, err := r.env.App.Info(ctx.Context(), infoRequest)
	if err != nil {
		return nil, err
	}
	return &coretypes.ResultABCIInfo{Response: *res}, nil
}
