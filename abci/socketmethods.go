package abci

import (
	"context"
	"fmt"

	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// answers reports whether res is the kind of answer req asks for.
func answers(req *abcitypes.Request, res *abcitypes.Response) bool {
	switch req.Value.(type) {
	case *abcitypes.Request_Echo:
		return res.GetEcho() != nil
	case *abcitypes.Request_Flush:
		return res.GetFlush() != nil
	case *abcitypes.Request_Info:
		return res.GetInfo() != nil
	case *abcitypes.Request_InitChain:
		return res.GetInitChain() != nil
	case *abcitypes.Request_Query:
		return res.GetQuery() != nil
	case *abcitypes.Request_CheckTx:
		return res.GetCheckTx() != nil
	case *abcitypes.Request_Commit:
		return res.GetCommit() != nil
	case *abcitypes.Request_ListSnapshots:
		return res.GetListSnapshots() != nil
	case *abcitypes.Request_OfferSnapshot:
		return res.GetOfferSnapshot() != nil
	case *abcitypes.Request_LoadSnapshotChunk:
		return res.GetLoadSnapshotChunk() != nil
	case *abcitypes.Request_ApplySnapshotChunk:
		return res.GetApplySnapshotChunk() != nil
	case *abcitypes.Request_PrepareProposal:
		return res.GetPrepareProposal() != nil
	case *abcitypes.Request_ProcessProposal:
		return res.GetProcessProposal() != nil
	case *abcitypes.Request_ExtendVote:
		return res.GetExtendVote() != nil
	case *abcitypes.Request_VerifyVoteExtension:
		return res.GetVerifyVoteExtension() != nil
	case *abcitypes.Request_FinalizeBlock:
		return res.GetFinalizeBlock() != nil
	}
	return false
}

// typed runs one request and picks its answer out of the response; the
// reader already checked that the answer is of the right kind.
func typed[T any](c *socketClient, ctx context.Context, req *abcitypes.Request, pick func(*abcitypes.Response) *T) (*T, error) {
	res, err := c.roundTrip(ctx, req)
	if err != nil {
		return nil, err
	}
	if v := pick(res); v != nil {
		return v, nil
	}
	return nil, fmt.Errorf("the app answered a %T with a %T", req.Value, res.Value)
}

func (c *socketClient) Echo(ctx context.Context, msg string) (*abcitypes.ResponseEcho, error) {
	return typed(c, ctx, abcitypes.ToRequestEcho(msg), (*abcitypes.Response).GetEcho)
}

func (c *socketClient) Info(ctx context.Context, req *abcitypes.RequestInfo) (*abcitypes.ResponseInfo, error) {
	return typed(c, ctx, abcitypes.ToRequestInfo(req), (*abcitypes.Response).GetInfo)
}

func (c *socketClient) Query(ctx context.Context, req *abcitypes.RequestQuery) (*abcitypes.ResponseQuery, error) {
	return typed(c, ctx, abcitypes.ToRequestQuery(req), (*abcitypes.Response).GetQuery)
}

func (c *socketClient) CheckTx(ctx context.Context, req *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
	return typed(c, ctx, abcitypes.ToRequestCheckTx(req), (*abcitypes.Response).GetCheckTx)
}

func (c *socketClient) InitChain(ctx context.Context, req *abcitypes.RequestInitChain) (*abcitypes.ResponseInitChain, error) {
	return typed(c, ctx, abcitypes.ToRequestInitChain(req), (*abcitypes.Response).GetInitChain)
}

func (c *socketClient) PrepareProposal(ctx context.Context, req *abcitypes.RequestPrepareProposal) (*abcitypes.ResponsePrepareProposal, error) {
	return typed(c, ctx, abcitypes.ToRequestPrepareProposal(req), (*abcitypes.Response).GetPrepareProposal)
}

func (c *socketClient) ProcessProposal(ctx context.Context, req *abcitypes.RequestProcessProposal) (*abcitypes.ResponseProcessProposal, error) {
	return typed(c, ctx, abcitypes.ToRequestProcessProposal(req), (*abcitypes.Response).GetProcessProposal)
}

func (c *socketClient) ExtendVote(ctx context.Context, req *abcitypes.RequestExtendVote) (*abcitypes.ResponseExtendVote, error) {
	return typed(c, ctx, abcitypes.ToRequestExtendVote(req), (*abcitypes.Response).GetExtendVote)
}

func (c *socketClient) VerifyVoteExtension(ctx context.Context, req *abcitypes.RequestVerifyVoteExtension) (*abcitypes.ResponseVerifyVoteExtension, error) {
	return typed(c, ctx, abcitypes.ToRequestVerifyVoteExtension(req), (*abcitypes.Response).GetVerifyVoteExtension)
}

func (c *socketClient) FinalizeBlock(ctx context.Context, req *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
	return typed(c, ctx, abcitypes.ToRequestFinalizeBlock(req), (*abcitypes.Response).GetFinalizeBlock)
}

func (c *socketClient) Commit(ctx context.Context, _ *abcitypes.RequestCommit) (*abcitypes.ResponseCommit, error) {
	return typed(c, ctx, abcitypes.ToRequestCommit(), (*abcitypes.Response).GetCommit)
}

func (c *socketClient) ListSnapshots(ctx context.Context, req *abcitypes.RequestListSnapshots) (*abcitypes.ResponseListSnapshots, error) {
	return typed(c, ctx, abcitypes.ToRequestListSnapshots(req), (*abcitypes.Response).GetListSnapshots)
}

func (c *socketClient) OfferSnapshot(ctx context.Context, req *abcitypes.RequestOfferSnapshot) (*abcitypes.ResponseOfferSnapshot, error) {
	return typed(c, ctx, abcitypes.ToRequestOfferSnapshot(req), (*abcitypes.Response).GetOfferSnapshot)
}

func (c *socketClient) LoadSnapshotChunk(ctx context.Context, req *abcitypes.RequestLoadSnapshotChunk) (*abcitypes.ResponseLoadSnapshotChunk, error) {
	return typed(c, ctx, abcitypes.ToRequestLoadSnapshotChunk(req), (*abcitypes.Response).GetLoadSnapshotChunk)
}

func (c *socketClient) ApplySnapshotChunk(ctx context.Context, req *abcitypes.RequestApplySnapshotChunk) (*abcitypes.ResponseApplySnapshotChunk, error) {
	return typed(c, ctx, abcitypes.ToRequestApplySnapshotChunk(req), (*abcitypes.Response).GetApplySnapshotChunk)
}
