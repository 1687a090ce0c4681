package e2e

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto"
	cryptoenc "github.com/cometbft/cometbft/crypto/encoding"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/privval"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"
)

// equivocator is the validator whose key signs the conflicting votes.
const equivocator = 3

// loadValidatorKey reads node i's priv_validator_key.json.
func loadValidatorKey(t *testing.T, n *rpcNet, i int) privval.FilePVKey {
	t.Helper()
	path := filepath.Join(n.Nodes[i].Home, "config", "priv_validator_key.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var key privval.FilePVKey
	if err := cmtjson.Unmarshal(raw, &key); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return key
}

// duplicateVote builds DuplicateVoteEvidence against the validator with
// key at height h: two prevotes of round 0 for different blocks, signed
// for chainID, timestamped with the block's time as CometBFT requires.
func duplicateVote(t *testing.T, n *rpcNet, key crypto.PrivKey, h int64) *types.DuplicateVoteEvidence {
	t.Helper()
	vals, err := n.clients[0].Validators(n.ctx, &h, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	set, err := types.ValidatorSetFromExistingValidators(vals.Validators)
	if err != nil {
		t.Fatal(err)
	}
	hdr, err := n.clients[0].Header(n.ctx, &h)
	if err != nil {
		t.Fatal(err)
	}
	addr := key.PubKey().Address()
	idx, _ := set.GetByAddress(addr)
	if idx < 0 {
		t.Fatalf("%X is not a validator at height %d", addr, h)
	}
	vote := func(seed string) *types.Vote {
		hash := sha256.Sum256([]byte(seed))
		parts := sha256.Sum256([]byte("parts " + seed))
		v := &types.Vote{
			Type: cmtproto.PrevoteType, Height: h, Round: 0,
			BlockID:   types.BlockID{Hash: hash[:], PartSetHeader: types.PartSetHeader{Total: 1, Hash: parts[:]}},
			Timestamp: hdr.Header.Time, ValidatorAddress: addr, ValidatorIndex: idx,
		}
		sig, err := key.Sign(types.VoteSignBytes(hdr.Header.ChainID, v.ToProto()))
		if err != nil {
			t.Fatal(err)
		}
		v.Signature = sig
		return v
	}
	ev, err := types.NewDuplicateVoteEvidence(vote("block A "+n.protocol), vote("block B "+n.protocol), hdr.Header.Time, set)
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.ValidateBasic(); err != nil {
		t.Fatal(err)
	}
	return ev
}

// testEvidence submits real duplicate-vote evidence to the full node, as a
// client would to any node, and follows it into a block, to the app as
// Misbehavior (kvstore lowers the validator's power by one, which
// block_results shows as a validator update) and into the validator set
// two heights later.
func testEvidence(t *testing.T, n *rpcNet) {
	key := loadValidatorKey(t, n, equivocator)
	h := n.height(t, 0)
	if err := n.waitHeight(fullNode, h); err != nil {
		t.Fatal(err)
	}
	power := validatorPower(t, n, h, key.Address)

	// Evidence that does not verify is refused with a reason.
	forged := duplicateVote(t, n, loadValidatorKey(t, n, 0).PrivKey, h)
	forged.VoteA.ValidatorAddress, forged.VoteB.ValidatorAddress = key.Address, key.Address
	if _, err := n.clients[fullNode].BroadcastEvidence(n.ctx, forged); err == nil || !strings.Contains(err.Error(), "failed to add evidence") {
		t.Errorf("broadcast_evidence of votes signed with another key: %v", err)
	}

	events := n.subscribeEvidenceEvents(t)
	ev := duplicateVote(t, n, key.PrivKey, h)
	res, err := n.clients[fullNode].BroadcastEvidence(n.ctx, ev)
	if err != nil {
		t.Fatalf("broadcast_evidence: %v", err)
	}
	if !bytes.Equal(res.Hash, ev.Hash()) {
		t.Errorf("broadcast_evidence answered hash %X, the evidence's is %X", res.Hash, ev.Hash())
	}
	at := n.waitEvidenceInBlock(t, h+1, ev)
	results, err := n.clients[0].BlockResults(n.ctx, &at)
	if err != nil {
		t.Fatal(err)
	}
	punished := false
	for _, u := range results.ValidatorUpdates {
		if pk, err := cryptoPubKey(u); err == nil && bytes.Equal(pk.Address(), key.Address) && u.Power == power-1 {
			punished = true
		}
	}
	if !punished {
		t.Fatalf("block_results(%d) has no validator update lowering %X to %d, so the app did not see the misbehavior: %+v", at, key.Address, power-1, results.ValidatorUpdates)
	}
	events.check(t, at, ev, key.Address, power-1)
	// Validator updates of height E take effect at E+2.
	if err := n.waitHeight(0, at+2); err != nil {
		t.Fatal(err)
	}
	if got := validatorPower(t, n, at+1, key.Address); got != power {
		t.Errorf("validator %X has power %d at height %d, want %d until the update applies", key.Address, got, at+1, power)
	}
	if got := validatorPower(t, n, at+2, key.Address); got != power-1 {
		t.Errorf("validator %X has power %d at height %d, want %d after the app's update", key.Address, got, at+2, power-1)
	}
	// The chain goes on with the new powers, and the same evidence again
	// is no error, as in CometBFT, but does not reach another block.
	if _, err := n.clients[1].BroadcastEvidence(n.ctx, ev); err != nil {
		t.Errorf("broadcast_evidence of committed evidence: %v", err)
	}
	top := n.height(t, 0)
	if err := n.waitHeight(0, top+3); err != nil {
		t.Fatal(err)
	}
	for hh := at + 1; hh <= top+3; hh++ {
		b, err := n.clients[0].Block(n.ctx, &hh)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Block.Evidence.Evidence) > 0 {
			t.Errorf("block %d carries evidence again: %v", hh, b.Block.Evidence.Evidence)
		}
		verifyCommitOf(t, n, b.Block.LastCommit, hh-1)
	}
}

// waitEvidenceInBlock waits for a block from height from on that carries
// ev, checks that every node has the same, and returns its height.
func (n *rpcNet) waitEvidenceInBlock(t *testing.T, from int64, ev types.Evidence) int64 {
	t.Helper()
	next := from
	var found int64
	err := n.WaitUntil(n.ctx, 90*time.Second, fmt.Sprintf("evidence %X in a block", ev.Hash()), func() (bool, error) {
		for ; next <= n.height(t, 0); next++ {
			b, err := n.clients[0].Block(n.ctx, &next)
			if err != nil {
				return false, err
			}
			for _, got := range b.Block.Evidence.Evidence {
				if bytes.Equal(got.Hash(), ev.Hash()) {
					found = next
					return true, nil
				}
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func validatorPower(t *testing.T, n *rpcNet, h int64, addr []byte) int64 {
	t.Helper()
	vals, err := n.clients[0].Validators(n.ctx, &h, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vals.Validators {
		if bytes.Equal(v.Address, addr) {
			return v.VotingPower
		}
	}
	t.Fatalf("%X is not a validator at height %d", addr, h)
	return 0
}

func cryptoPubKey(u abci.ValidatorUpdate) (crypto.PubKey, error) {
	return cryptoenc.PubKeyFromProto(u.PubKey)
}

// evidenceEvents are subscriptions to the events a block with evidence
// fires.
type evidenceEvents struct {
	n               *rpcNet
	evidence, vsets <-chan coretypes.ResultEvent
}

func (n *rpcNet) subscribeEvidenceEvents(t *testing.T) *evidenceEvents {
	t.Helper()
	cl, err := rpchttp.New("http://"+n.Nodes[2].RPCAddr, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	if err := cl.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Stop() })
	e := &evidenceEvents{n: n}
	if e.evidence, err = cl.Subscribe(n.ctx, "e2e", types.EventQueryNewEvidence.String(), 10); err != nil {
		t.Fatal(err)
	}
	if e.vsets, err = cl.Subscribe(n.ctx, "e2e", types.EventQueryValidatorSetUpdates.String(), 10); err != nil {
		t.Fatal(err)
	}
	return e
}

// check reads the NewEvidence and ValidatorSetUpdates events of the block
// at height at: the evidence, and the app's lowering of addr to power.
func (e *evidenceEvents) check(t *testing.T, at int64, ev types.Evidence, addr []byte, power int64) {
	t.Helper()
	got := nextEvent(t, e.n, e.evidence, types.EventQueryNewEvidence.String())
	data, ok := got.Data.(types.EventDataNewEvidence)
	if !ok || data.Height != at || !bytes.Equal(data.Evidence.Hash(), ev.Hash()) {
		t.Errorf("NewEvidence event: %+v, want evidence %X at height %d", got.Data, ev.Hash(), at)
	}
	got = nextEvent(t, e.n, e.vsets, types.EventQueryValidatorSetUpdates.String())
	updates, ok := got.Data.(types.EventDataValidatorSetUpdates)
	if !ok || len(updates.ValidatorUpdates) != 1 || !bytes.Equal(updates.ValidatorUpdates[0].Address, addr) || updates.ValidatorUpdates[0].VotingPower != power {
		t.Errorf("ValidatorSetUpdates event: %+v, want %X at power %d", got.Data, addr, power)
	}
}
