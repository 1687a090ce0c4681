package abci

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
)

// extendingKVStore is CometBFT's example kvstore with ABCI 2.0 vote
// extensions, so that a chain on the built-in app exercises them from its
// genesis consensus_params.abci.vote_extensions_enable_height on: every
// precommit carries "kvstore-ext/<height>", other validators' extensions
// are accepted only in that form, and PrepareProposal refuses to build a
// block when a precommit for the last block in its local_last_commit lacks
// one (the node would then halt, as an app that depends on extensions
// would).
type extendingKVStore struct {
	*kvstore.Application
	// enableHeight is the chain's vote_extensions_enable_height, learned
	// at InitChain; 0 after a restart, when PrepareProposal skips its check.
	enableHeight atomic.Int64
}

func newExtendingKVStore(app *kvstore.Application) *extendingKVStore {
	return &extendingKVStore{Application: app}
}

func kvstoreExtension(height int64) []byte { return fmt.Appendf(nil, "kvstore-ext/%d", height) }

func (a *extendingKVStore) InitChain(ctx context.Context, req *abcitypes.RequestInitChain) (*abcitypes.ResponseInitChain, error) {
	if p := req.ConsensusParams; p != nil && p.Abci != nil {
		a.enableHeight.Store(p.Abci.VoteExtensionsEnableHeight)
	}
	return a.Application.InitChain(ctx, req)
}

func (a *extendingKVStore) ExtendVote(_ context.Context, req *abcitypes.RequestExtendVote) (*abcitypes.ResponseExtendVote, error) {
	return &abcitypes.ResponseExtendVote{VoteExtension: kvstoreExtension(req.Height)}, nil
}

func (a *extendingKVStore) VerifyVoteExtension(_ context.Context, req *abcitypes.RequestVerifyVoteExtension) (*abcitypes.ResponseVerifyVoteExtension, error) {
	status := abcitypes.ResponseVerifyVoteExtension_REJECT
	if string(req.VoteExtension) == string(kvstoreExtension(req.Height)) {
		status = abcitypes.ResponseVerifyVoteExtension_ACCEPT
	}
	return &abcitypes.ResponseVerifyVoteExtension{Status: status}, nil
}

func (a *extendingKVStore) PrepareProposal(ctx context.Context, req *abcitypes.RequestPrepareProposal) (*abcitypes.ResponsePrepareProposal, error) {
	if err := checkLocalLastCommit(a.enableHeight.Load(), req.Height-1, req.LocalLastCommit); err != nil {
		return nil, err
	}
	return a.Application.PrepareProposal(ctx, req)
}

// checkLocalLastCommit checks that from the enable height on every
// precommit for the block carries this app's extension for its height,
// signed, and that no other vote carries one.
func checkLocalLastCommit(enableHeight, height int64, c abcitypes.ExtendedCommitInfo) error {
	enabled := enableHeight > 0 && height >= enableHeight
	for i, v := range c.Votes {
		switch {
		case v.BlockIdFlag != cmtproto.BlockIDFlagCommit || !enabled:
			if len(v.VoteExtension) > 0 || len(v.ExtensionSignature) > 0 {
				return fmt.Errorf("kvstore: local_last_commit vote %d (height %d) carries an extension where none belongs", i, height)
			}
		case string(v.VoteExtension) != string(kvstoreExtension(height)) || len(v.ExtensionSignature) == 0:
			return fmt.Errorf("kvstore: local_last_commit vote %d (height %d) carries extension %q signed with %d bytes; want %q, signed",
				i, height, v.VoteExtension, len(v.ExtensionSignature), kvstoreExtension(height))
		}
	}
	return nil
}
