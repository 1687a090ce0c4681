package e2e

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
)

// TestVoteExtensionsOnTheBuiltinKVStore runs four validators on the
// built-in kvstore, which extends its votes and refuses to prepare a block
// whose local_last_commit lacks an extension on a precommit for the last
// block (the node then halts), for 40 blocks past the enable height, in
// each protocol.
func TestVoteExtensionsOnTheBuiltinKVStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	for _, protocol := range []string{"tendermint", "pbft"} {
		t.Run(protocol, func(t *testing.T) {
			const enable = 3
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			c := startTestCluster(ctx, t, Options{Protocol: protocol, Validators: 4, VoteExtensionsHeight: enable}, nil)
			loadUntil(ctx, t, c, enable+40)
			checkAgreement(ctx, t, c)
		})
	}
}

// TestVoteExtensionsUnderCometBFTsE2EApp runs four validators, each on its
// own copy of CometBFT's e2e application, with vote extensions enabled at
// height 5, in each protocol. The app panics (and the chain halts) when a
// precommit lacks its extension; each block past the enable height
// carries the app's transaction holding the local_last_commit it was
// prepared with, whose extension signatures the test checks the way the
// Cosmos SDK's ValidateVoteExtensions does. Halfway, a validator is
// killed with SIGKILL and restarted: it must come back, catch up and
// propose again with the extensions its store kept.
//
// VOTEEXT_BLOCKS sets how many blocks past the enable height to run
// (default 40; the acceptance run is 500).
func TestVoteExtensionsUnderCometBFTsE2EApp(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	blocks := int64(40)
	if s := os.Getenv("VOTEEXT_BLOCKS"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 5 {
			t.Fatalf("VOTEEXT_BLOCKS=%q: want a number of blocks >= 5", s)
		}
		blocks = n
	}
	if _, err := CometE2EApp(); err != nil {
		t.Skipf("CometBFT's e2e app is not available: %v", err)
	}
	for _, protocol := range []string{"tendermint", "pbft"} {
		t.Run(protocol, func(t *testing.T) { runCometE2EApp(t, protocol, blocks) })
	}
}

func runCometE2EApp(t *testing.T, protocol string, blocks int64) {
	const enable = 5
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute+time.Duration(blocks)*time.Second)
	defer cancel()
	c := startTestCluster(ctx, t, Options{Protocol: protocol, Validators: 4, ExternalApp: true,
		App: AppCometE2E, VoteExtensionsHeight: enable}, nil)
	t.Cleanup(func() { checkNoneBanned(t, c) }) // before the cluster's cleanup removes the logs
	end := int64(enable + blocks)
	// Under PBFT the victim is the primary, so the others change view. A
	// new view re-commits every decided height above the stable checkpoint,
	// without vote extensions (the applications have left those heights):
	// validators once banned each other for it and then refused the
	// restarted one.
	victim := 1
	if protocol == "pbft" {
		primary, _, err := firstPrimary(c)
		if err != nil {
			t.Fatal(err)
		}
		victim = primary
	}
	loadUntil(ctx, t, c, enable+blocks/2)
	if err := c.Kill(victim); err != nil {
		t.Fatal(err)
	}
	loadUntil(ctx, t, c, enable+blocks/2+3)
	if err := c.Start(victim); err != nil {
		t.Fatal(err)
	}
	restartAppIfRefused(ctx, t, c, victim)
	loadUntil(ctx, t, c, end)
	if err := c.WaitHeight(ctx, victim, end); err != nil {
		t.Fatal(err)
	}
	cl, err := c.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	full := 0
	for h := int64(enable + 1); h <= end; h++ {
		b, err := cl.Block(ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		prev := h - 1
		vals, err := cl.Validators(ctx, &prev, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		n, err := checkExtensionTx(b.Block, types.NewValidatorSet(vals.Validators))
		if err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
		if n == len(vals.Validators) {
			full++
		}
	}
	t.Logf("%s: %d blocks past the enable height; %d carry every validator's extension", protocol, end-enable, full)
	checkAgreement(ctx, t, c)
}

// checkNoneBanned fails t if a node of c banned a peer: every node is
// honest, so a ban means a node blamed a peer for what honest nodes send.
func checkNoneBanned(t *testing.T, c *Cluster) {
	t.Helper()
	for i := range c.Nodes {
		b, err := os.ReadFile(filepath.Join(c.Nodes[i].Home, "node.log"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, `msg="peer banned"`) {
				t.Errorf("node %d banned an honest peer: %s", i, line)
			}
		}
	}
}

// checkExtensionTx finds the e2e app's "extensionSum=<sum>|<hex>"
// transaction in b, decodes the ExtendedCommitInfo it carries and checks
// every extension signature over CometBFT's canonical vote-extension bytes
// with the signer's key. It returns how many validators' extensions it
// holds.
func checkExtensionTx(b *types.Block, vals *types.ValidatorSet) (int, error) {
	for _, tx := range b.Txs {
		rest, ok := strings.CutPrefix(string(tx), "extensionSum=")
		if !ok {
			continue
		}
		_, hexCommit, ok := strings.Cut(rest, "|")
		if !ok {
			return 0, fmt.Errorf("extension transaction %q has no commit", tx)
		}
		raw, err := hex.DecodeString(hexCommit)
		if err != nil {
			return 0, err
		}
		var info abcitypes.ExtendedCommitInfo
		if err := info.Unmarshal(raw); err != nil {
			return 0, err
		}
		n := 0
		for i, v := range info.Votes {
			if v.BlockIdFlag != cmtproto.BlockIDFlagCommit {
				continue
			}
			_, val := vals.GetByAddress(v.Validator.Address)
			if val == nil {
				return 0, fmt.Errorf("vote %d from %X, not a validator", i, v.Validator.Address)
			}
			sb := types.VoteExtensionSignBytes(b.ChainID, &cmtproto.Vote{Height: b.Height - 1, Round: info.Round, Extension: v.VoteExtension})
			if len(v.VoteExtension) == 0 || !val.PubKey.VerifySignature(sb, v.ExtensionSignature) {
				return 0, fmt.Errorf("vote %d: extension %X with a signature that does not verify", i, v.VoteExtension)
			}
			n++
		}
		return n, nil
	}
	return 0, fmt.Errorf("no extension transaction among %d", len(b.Txs))
}

// TestVoteExtensionsAcrossTheProtocolSwitch runs the built-in kvstore
// with vote extensions on from height 3 on a chain that switches protocol
// at height 20, both ways. The app refuses to prepare a block whose
// local_last_commit lacks an extension on a precommit for the last block,
// so the chain halts unless the first block of the second protocol
// carries the extensions of the first protocol's last precommits (or
// COMMITs), and the second protocol's precommits go on extending.
func TestVoteExtensionsAcrossTheProtocolSwitch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	const enable, at = 3, 20
	for _, c := range []struct{ from, to string }{{"tendermint", "pbft"}, {"pbft", "tendermint"}} {
		t.Run(c.from+"-to-"+c.to, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cl := startTestCluster(ctx, t, Options{Protocol: c.from, Validators: 4, VoteExtensionsHeight: enable,
				ExtraFlags: []string{"--consensus.switch_height", strconv.Itoa(at), "--consensus.switch_protocol", c.to}}, nil)
			loadUntil(ctx, t, cl, at+15)
			for i := range cl.Nodes {
				if err := cl.WaitHeight(ctx, i, at+15); err != nil {
					t.Fatalf("node %d did not pass the switch with extensions on: %v", i, err)
				}
				if got := dumpedProtocol(ctx, t, cl, i); got != c.to {
					t.Errorf("node %d runs %q after the switch, want %q", i, got, c.to)
				}
			}
			checkAgreement(ctx, t, cl)
		})
	}
}
