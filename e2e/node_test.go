package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cometbft/cometbft/types"
)

// TestValidatorsCommitAndSurviveKill is the node's acceptance test, for each
// protocol: four validators, each backed by its own `abci-cli kvstore` over
// TCP, commit transactions sent to any node's RPC; every node answers
// abci_query for them; a validator killed with SIGKILL right after
// acknowledging transactions and restarted catches up, loses none of them,
// and agrees with the others on every block and app hash.
func TestValidatorsCommitAndSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	for _, protocol := range []string{"tendermint", "pbft"} {
		t.Run(protocol, func(t *testing.T) { runCommitAndKill(t, protocol) })
	}
}

func runCommitAndKill(t *testing.T, protocol string) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := startTestCluster(ctx, t, Options{Protocol: protocol, Validators: 4, ExternalApp: true}, nil)

	// Transactions to every node's RPC.
	acked := map[string]string{}
	for round := 0; round < 5; round++ {
		for i := range c.Nodes {
			k, v := fmt.Sprintf("k-%s-%d-%d", protocol, round, i), fmt.Sprintf("v%d", round*10+i)
			if err := sendTx(ctx, c, i, k, v); err != nil {
				t.Fatal(err)
			}
			acked[k] = v
		}
	}

	// The victim acknowledges a burst of transactions and is killed at once.
	const victim = 2
	for j := 0; j < 20; j++ {
		k, v := fmt.Sprintf("burst-%s-%d", protocol, j), fmt.Sprintf("b%d", j)
		if err := sendTx(ctx, c, victim, k, v); err != nil {
			t.Fatal(err)
		}
		acked[k] = v
	}
	if err := c.Kill(victim); err != nil {
		t.Fatal(err)
	}

	// The others keep going; the victim comes back and catches up.
	h, err := latestHeight(ctx, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitHeight(ctx, 0, h+3); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(victim); err != nil {
		t.Fatal(err)
	}
	restartAppIfRefused(ctx, t, c, victim)
	waitAllCommitted(ctx, t, c, acked)
	checkAgreement(ctx, t, c)
}

// restartAppIfRefused does what the node asks when it cannot come back on
// its own. abci-cli kvstore reports a height as soon as FinalizeBlock ran
// (counting its transactions in memory), so a node killed between the
// app's FinalizeBlock and its own record of the results finds the app a
// block ahead of every commit; it must not execute that block a second
// time and refuses to start, telling the operator to restart the app
// (CometBFT cannot resume there either). The restarted app starts empty,
// the node replays the chain into it, and the test's checks stand as they
// are: nothing acknowledged lost, every node on the same chain.
func restartAppIfRefused(ctx context.Context, t *testing.T, c *Cluster, i int) {
	t.Helper()
	cl, err := c.Client(i)
	if err != nil {
		t.Fatal(err)
	}
	for c.Running(i) {
		if _, err := cl.Status(ctx); err == nil {
			return // past the handshake: the RPC starts after it
		}
		select {
		case <-ctx.Done():
			t.Fatalf("node %d neither answered nor exited after its restart", i)
		case <-time.After(100 * time.Millisecond):
		}
	}
	tail := c.LogTail(i, 2000)
	if !strings.Contains(tail, "which it was never asked to commit") {
		t.Fatalf("node %d exited after its restart (%s):\n%s", i, c.ExitStatus(i), tail)
	}
	t.Logf("node %d was killed inside the app's FinalizeBlock and refused to start on that app; restarting the app", i)
	c.Reap(i)
	c.KillApp(i)
	if err := c.Start(i); err != nil {
		t.Fatal(err)
	}
}

// startTestCluster starts a network for t, running prepare (when not nil)
// before the nodes start, and waits until every node committed height 2.
// When t ends the network stops, after its log tails are shown if t failed.
func startTestCluster(ctx context.Context, t *testing.T, o Options, prepare func(*Cluster) error) *Cluster {
	t.Helper()
	c, err := NewCluster(t.TempDir(), o, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	t.Cleanup(func() { dumpLogsOnFailure(t, c) })
	if prepare != nil {
		if err := prepare(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.StartAll(); err != nil {
		t.Fatal(err)
	}
	for i := range c.Nodes {
		if err := c.WaitHeight(ctx, i, 2); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func dumpLogsOnFailure(t *testing.T, c *Cluster) {
	if !t.Failed() || os.Getenv("E2E_QUIET") != "" {
		return
	}
	for i := range c.Nodes {
		t.Logf("--- node %d log tail ---\n%s", i, c.LogTail(i, 4000))
	}
}

func sendTx(ctx context.Context, c *Cluster, node int, key, value string) error {
	cl, err := c.Client(node)
	if err != nil {
		return err
	}
	res, err := cl.BroadcastTxSync(ctx, []byte(key+"="+value))
	if err != nil {
		return fmt.Errorf("broadcast_tx_sync %s to node %d: %w", key, node, err)
	}
	if res.Code != 0 {
		return fmt.Errorf("broadcast_tx_sync %s to node %d: code %d log %q", key, node, res.Code, res.Log)
	}
	return nil
}

func latestHeight(ctx context.Context, c *Cluster, node int) (int64, error) {
	cl, err := c.Client(node)
	if err != nil {
		return 0, err
	}
	st, err := cl.Status(ctx)
	if err != nil {
		return 0, err
	}
	return st.SyncInfo.LatestBlockHeight, nil
}

// waitAllCommitted waits until every node answers abci_query with the
// acknowledged value of every key.
func waitAllCommitted(ctx context.Context, t *testing.T, c *Cluster, acked map[string]string) {
	t.Helper()
	all := make([]int, len(c.Nodes))
	for i := range all {
		all[i] = i
	}
	waitCommittedOn(ctx, t, c, all, acked)
}

// waitCommittedOn waits until each of nodes answers abci_query with the
// acknowledged value of every key.
func waitCommittedOn(ctx context.Context, t *testing.T, c *Cluster, nodes []int, acked map[string]string) {
	t.Helper()
	for _, i := range nodes {
		cl, err := c.Client(i)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range acked {
			var got string
			var lastErr error
			for {
				qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				res, err := cl.ABCIQuery(qctx, "", []byte(k))
				cancel()
				if err == nil {
					got, lastErr = string(res.Response.Value), nil
					if got == v {
						break
					}
				} else {
					lastErr = err
				}
				if ctx.Err() != nil {
					t.Fatalf("node %d never answered %s=%s (last value %q, last error %v; %s)", i, k, v, got, lastErr, c.describe(i))
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
}

// checkAgreement compares every block and app hash all nodes share, and
// checks that no transaction appears twice in the chain.
func checkAgreement(ctx context.Context, t *testing.T, c *Cluster) {
	t.Helper()
	minHeight := int64(-1)
	for i := range c.Nodes {
		h, err := latestHeight(ctx, c, i)
		if err != nil {
			t.Fatal(err)
		}
		if minHeight < 0 || h < minHeight {
			minHeight = h
		}
	}
	seen := map[string]int64{}
	for h := int64(1); h <= minHeight; h++ {
		var hash, appHash []byte
		for i := range c.Nodes {
			cl, _ := c.Client(i)
			b, err := cl.Block(ctx, &h)
			if err != nil {
				t.Fatalf("node %d block %d: %v", i, h, err)
			}
			if i == 0 {
				verifyCommit(ctx, t, cl, h)
				hash, appHash = b.BlockID.Hash, b.Block.AppHash
				for _, tx := range b.Block.Txs {
					if prev, dup := seen[string(tx)]; dup {
						t.Errorf("tx %q committed twice, at heights %d and %d", tx, prev, h)
					}
					seen[string(tx)] = h
				}
				continue
			}
			if !bytes.Equal(b.BlockID.Hash, hash) || !bytes.Equal(b.Block.AppHash, appHash) {
				t.Fatalf("height %d: node %d has block %X app hash %X, node 0 has %X %X", h, i, b.BlockID.Hash, b.Block.AppHash, hash, appHash)
			}
		}
	}
}

// verifyCommit checks with CometBFT's own code that the commit a node
// serves for height h is signed by more than 2/3 of that height's
// validators.
func verifyCommit(ctx context.Context, t *testing.T, cl *rpchttp.HTTP, h int64) {
	t.Helper()
	c, err := cl.Commit(ctx, &h)
	if err != nil {
		t.Fatalf("commit %d: %v", h, err)
	}
	vals, err := cl.Validators(ctx, &h, nil, nil)
	if err != nil {
		t.Fatalf("validators %d: %v", h, err)
	}
	set, err := types.ValidatorSetFromExistingValidators(vals.Validators)
	if err != nil {
		t.Fatal(err)
	}
	if err := set.VerifyCommit(c.ChainID, c.Commit.BlockID, h, c.Commit); err != nil {
		t.Fatalf("commit of height %d does not verify: %v", h, err)
	}
}
