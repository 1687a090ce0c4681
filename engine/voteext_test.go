package engine

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/state/statetest"
	"github.com/bftnode/bftnode/wire"
	"github.com/cometbft/cometbft/crypto"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
)

// extendedPrecommit is a precommit of validator i at height 2 signed with
// keys[i], its extension signed over CometBFT's canonical bytes.
func extendedPrecommit(t *testing.T, keys []crypto.PrivKey, i int32, ext []byte) *consensus.Vote {
	t.Helper()
	vote := &consensus.Vote{Type: consensus.Precommit, Height: 2, Round: 0, Value: testID(3), Validator: i,
		Timestamp: time.Unix(1700000000, 0).UTC(), Extension: ext}
	vote.Signature = sign(t, keys[i], vote)
	sb, err := wire.ExtensionSignBytes("c", vote)
	if err != nil {
		t.Fatal(err)
	}
	if vote.ExtensionSignature, err = keys[i].Sign(sb); err != nil {
		t.Fatal(err)
	}
	return vote
}

// The extension signature signs exactly what CometBFT's
// Vote.ExtensionSignBytes gives for the same vote, which is what the
// Cosmos SDK's ValidateVoteExtensions rebuilds from a local_last_commit.
func TestExtensionSignBytesAreCometBFTs(t *testing.T) {
	bid, err := wire.DecodeID(testID(3))
	if err != nil {
		t.Fatal(err)
	}
	v := &consensus.Vote{Type: consensus.Precommit, Height: 7, Round: 2, Value: testID(3), Extension: []byte("price=42")}
	got, err := wire.ExtensionSignBytes("chain-x", v)
	if err != nil {
		t.Fatal(err)
	}
	cmt := &types.Vote{Type: cmtproto.PrecommitType, Height: 7, Round: 2, BlockID: bid, Extension: []byte("price=42")}
	if want := types.VoteExtensionSignBytes("chain-x", cmt.ToProto()); !bytes.Equal(got, want) {
		t.Errorf("extension sign bytes %X, CometBFT's %X", got, want)
	}
	v.Value = consensus.Nil
	if _, err := wire.ExtensionSignBytes("chain-x", v); err == nil {
		t.Error("a precommit for nil got extension sign bytes")
	}
}

func TestVerifierChecksVoteExtensionsFromTheEnableHeight(t *testing.T) {
	v, keys := verifierFor(t, 4)
	ctx := *v.e.verifying.Load()
	ctx.extHeight = 2
	v.e.verifying.Store(&ctx)

	good := extendedPrecommit(t, keys, 1, []byte("ext"))
	if err := v.message(good); err != nil {
		t.Fatalf("a well extended precommit was refused: %v", err)
	}
	forged := extendedPrecommit(t, keys, 1, []byte("ext"))
	forged.Extension = []byte("other")
	if err := v.message(forged); err == nil {
		t.Error("a precommit whose extension was changed after signing passed")
	}
	bare := extendedPrecommit(t, keys, 2, nil)
	bare.ExtensionSignature = nil
	if err := v.message(bare); !errors.Is(err, errUnextended) {
		t.Errorf("a precommit without an extension at the enable height: %v; want errUnextended", err)
	}
	unsigned := extendedPrecommit(t, keys, 2, []byte("ext"))
	unsigned.ExtensionSignature = nil
	if err := v.message(unsigned); err == nil || errors.Is(err, errUnextended) || !strings.Contains(err.Error(), "no extension signature") {
		t.Errorf("a precommit with an extension but no extension signature: %v", err)
	}
	ctx.extHeight = 3
	v.e.verifying.Store(&ctx)
	if err := v.message(good); err == nil {
		t.Error("an extension below the enable height passed")
	}
	ctx.extHeight = 0
	v.e.verifying.Store(&ctx)
	bare.ExtensionSignature = nil
	if err := v.message(bare); err != nil {
		t.Errorf("a plain precommit with extensions off was refused: %v", err)
	}
}

// A commit without extensions on some precommits (taken from a synced
// block) leaves them out of local_last_commit when the rest still decide;
// otherwise the node has no commit to propose with.
func TestCommitWithoutExtensionsLeavesUnextendedPrecommitsOut(t *testing.T) {
	vals := lcValidators(t, 4)
	sig := func(i int, ext bool) types.ExtendedCommitSig {
		s := types.ExtendedCommitSig{CommitSig: types.CommitSig{BlockIDFlag: types.BlockIDFlagCommit,
			ValidatorAddress: vals.Validators[i].Address, Timestamp: lcEpoch, Signature: bytes.Repeat([]byte{1}, 64)}}
		if ext {
			s.Extension, s.ExtensionSignature = []byte("e"), bytes.Repeat([]byte{2}, 64)
		}
		return s
	}
	ec := &types.ExtendedCommit{Height: 3, ExtendedSignatures: []types.ExtendedCommitSig{sig(0, true), sig(1, true), sig(2, true), sig(3, false)}}
	out, err := withExtensionsOnly(ec, vals)
	if err != nil {
		t.Fatal(err)
	}
	if out.ExtendedSignatures[3].BlockIDFlag != types.BlockIDFlagAbsent || out.ExtendedSignatures[2].BlockIDFlag != types.BlockIDFlagCommit {
		t.Errorf("flags after leaving out the unextended precommit: %v", out.ExtendedSignatures)
	}
	if ec.ExtendedSignatures[3].BlockIDFlag != types.BlockIDFlagCommit {
		t.Error("the commit itself was changed")
	}
	ec.ExtendedSignatures[2] = sig(2, false)
	if _, err := withExtensionsOnly(ec, vals); !errors.Is(err, errNoExtendedQuorum) {
		t.Errorf("a commit whose extended precommits do not decide: %v, want errNoExtendedQuorum", err)
	}
}

// TestUnextendedPrecommitIsDroppedWithoutBlame: a well-signed precommit
// without a vote extension where the chain enables them is what an honest
// validator sends for a height its application has left (after a PBFT view
// change it re-commits every decided height above the stable checkpoint).
// It is dropped, never counted, and its sender is not penalized: three
// penalties ban a peer, and validators banning each other after a view
// change refused a restarted validator for ten minutes. A bad signature on
// such a precommit still costs the sender.
func TestUnextendedPrecommitIsDroppedWithoutBlame(t *testing.T) {
	s, _ := statetest.GenesisState(t, 10, 10, 10, 10)
	v, e, net, set := verifierAt(t, nil)
	e.verifying.Store(&verifyContext{chainID: s.ChainID, last: 1, vals: set, next: set, extHeight: 1})
	k := statetest.Key(1)
	idx, _ := set.GetByAddress(k.PubKey().Address())
	precommit := func(height int64, signer crypto.PrivKey) []byte {
		vote := &consensus.Vote{Type: consensus.Precommit, Height: height, Value: testID(3), Validator: idx,
			Timestamp: time.Unix(1700000000, 0).UTC()}
		sb, err := wire.SignBytes(s.ChainID, vote)
		if err != nil {
			t.Fatal(err)
		}
		if vote.Signature, err = signer.Sign(sb); err != nil {
			t.Fatal(err)
		}
		b, err := wire.EncodeConsensus(wire.ConsensusMessage{Msg: vote})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, h := range []int64{1, 2, 3} { // decided, next, beyond
		v.check("honest", precommit(h, k))
	}
	if len(net.penalized) != 0 || len(e.events) != 0 {
		t.Errorf("penalized %v, %d precommits passed on; want none of either", net.penalized, len(e.events))
	}
	v.check("forger", precommit(2, statetest.Key(2)))
	if len(net.penalized) != 1 || net.penalized[0] != "forger" {
		t.Errorf("penalized %v after a forged unextended precommit; want the forger", net.penalized)
	}
}
