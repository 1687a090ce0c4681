package wire

import (
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
)

// blockFromProto converts and validates a block from a peer. CometBFT's
// conversion is not ours to audit, so a panic inside it is turned into an
// invalid-message error rather than taking the node down.
func blockFromProto(what string, pb *cmtproto.Block) (b *types.Block, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, invalidf("%s: malformed block: %v", what, r)
		}
	}()
	b, err = types.BlockFromProto(pb)
	if err != nil {
		return nil, invalidf("%s: %v", what, err)
	}
	return b, nil
}

// commitFromProto converts and validates a commit from a peer.
func commitFromProto(what string, pb *cmtproto.Commit) (c *types.Commit, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, invalidf("%s: malformed commit: %v", what, r)
		}
	}()
	c, err = types.CommitFromProto(pb)
	if err != nil {
		return nil, invalidf("%s: %v", what, err)
	}
	return c, nil
}

// extendedCommitFromProto converts and validates an extended commit from a
// peer.
func extendedCommitFromProto(what string, pb *cmtproto.ExtendedCommit) (c *types.ExtendedCommit, err error) {
	defer func() {
		if r := recover(); r != nil {
			c, err = nil, invalidf("%s: malformed extended commit: %v", what, r)
		}
	}()
	c, err = types.ExtendedCommitFromProto(pb)
	if err != nil {
		return nil, invalidf("%s: %v", what, err)
	}
	return c, nil
}

// blockToProto converts a block the node sends, after checking it.
func blockToProto(what string, b *types.Block) (pb *cmtproto.Block, err error) {
	if err := b.ValidateBasic(); err != nil {
		return nil, invalidf("%s: %v", what, err)
	}
	if pb, err = b.ToProto(); err != nil {
		return nil, invalidf("%s: %v", what, err)
	}
	return pb, nil
}
