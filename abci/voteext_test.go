package abci

import (
	"context"
	"strings"
	"testing"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
)

func TestBuiltinKVStoreExtendsAndChecksVotes(t *testing.T) {
	ctx := context.Background()
	app := newExtendingKVStore(kvstore.NewInMemoryApplication())
	if _, err := app.InitChain(ctx, &abcitypes.RequestInitChain{ChainId: "c", InitialHeight: 1,
		ConsensusParams: &cmtproto.ConsensusParams{Abci: &cmtproto.ABCIParams{VoteExtensionsEnableHeight: 2}}}); err != nil {
		t.Fatal(err)
	}
	ext, err := app.ExtendVote(ctx, &abcitypes.RequestExtendVote{Height: 3})
	if err != nil || len(ext.VoteExtension) == 0 {
		t.Fatalf("ExtendVote = %v, %v", ext, err)
	}
	for _, c := range []struct {
		height int64
		ext    []byte
		want   abcitypes.ResponseVerifyVoteExtension_VerifyStatus
	}{
		{3, ext.VoteExtension, abcitypes.ResponseVerifyVoteExtension_ACCEPT},
		{4, ext.VoteExtension, abcitypes.ResponseVerifyVoteExtension_REJECT},
		{3, nil, abcitypes.ResponseVerifyVoteExtension_REJECT},
	} {
		got, err := app.VerifyVoteExtension(ctx, &abcitypes.RequestVerifyVoteExtension{Height: c.height, VoteExtension: c.ext})
		if err != nil || got.Status != c.want {
			t.Errorf("VerifyVoteExtension(height %d, %q) = %v, %v; want %v", c.height, c.ext, got, err, c.want)
		}
	}
	commit := func(ext []byte, sig []byte) abcitypes.ExtendedCommitInfo {
		return abcitypes.ExtendedCommitInfo{Votes: []abcitypes.ExtendedVoteInfo{
			{BlockIdFlag: cmtproto.BlockIDFlagCommit, VoteExtension: ext, ExtensionSignature: sig},
			{BlockIdFlag: cmtproto.BlockIDFlagAbsent},
		}}
	}
	if _, err := app.PrepareProposal(ctx, &abcitypes.RequestPrepareProposal{Height: 4, MaxTxBytes: 1 << 20,
		LocalLastCommit: commit(ext.VoteExtension, []byte("sig"))}); err != nil {
		t.Errorf("PrepareProposal with every precommit extended: %v", err)
	}
	_, err = app.PrepareProposal(ctx, &abcitypes.RequestPrepareProposal{Height: 4, MaxTxBytes: 1 << 20, LocalLastCommit: commit(nil, nil)})
	if err == nil || !strings.Contains(err.Error(), "local_last_commit") {
		t.Errorf("PrepareProposal with a precommit unextended: %v, want a refusal", err)
	}
	if _, err := app.PrepareProposal(ctx, &abcitypes.RequestPrepareProposal{Height: 2, MaxTxBytes: 1 << 20, LocalLastCommit: commit(nil, nil)}); err != nil {
		t.Errorf("PrepareProposal for the height before extensions: %v", err)
	}
}
