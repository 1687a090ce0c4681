package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/internal/failpoint"
	"github.com/bftnode/bftnode/store"
)

// stateSyncInterval is how often the validators' built-in kvstore takes a
// snapshot in the state sync tests: small, so that a chain of a few
// seconds has some.
const stateSyncInterval = 5

// stateSyncKeys is how many keys the tests write before the joiner starts:
// enough for a snapshot of several chunks. make statesync sets
// STATESYNC_KEYS for a snapshot of hundreds.
func stateSyncKeys(t *testing.T) int {
	if v := os.Getenv("STATESYNC_KEYS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("STATESYNC_KEYS=%q: want a positive number", v)
		}
		return n
	}
	return 300
}

// stateSyncTimeout bounds each state sync test; generous for the long
// version's thousands of keys.
const stateSyncTimeout = 10 * time.Minute

// TestStateSync runs four validators of the built-in kvstore taking
// snapshots, then starts a fifth node with [statesync] enabled. It is
// killed three times during its state sync (SIGKILL at crash points:
// after the app applied the second chunk, after the app restored the
// whole snapshot, and after the node stored the commit of its height but
// not the state); each time it must have stored no state, and the restart
// begins state sync again. The fourth start must restore a snapshot (its
// block store starts above height 1), hold the keys written before the
// snapshot, produce the chain's app hashes while it follows the chain,
// commit a transaction sent to it, and after a restart catch up again
// from its own stores.
func TestStateSync(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	for _, protocol := range rpcProtocols() {
		t.Run(protocol, func(t *testing.T) { runStateSync(t, protocol) })
	}
}

func runStateSync(t *testing.T, protocol string) {
	const joiner = 4
	ctx, cancel := context.WithTimeout(context.Background(), stateSyncTimeout)
	defer cancel()
	c, acked := startSnapshottingChain(ctx, t, Options{Protocol: protocol, BuildTags: []string{"failpoint"}}, nil)

	for _, point := range []string{failpoint.StateSyncChunkApplied + "@2", failpoint.StateSyncRestored, failpoint.StateSyncCommitSaved} {
		c.Nodes[joiner].Env = append(stateSyncEnv(ctx, t, c), failpoint.EnvVar+"="+point)
		if err := c.Start(joiner); err != nil {
			t.Fatal(err)
		}
		select {
		case <-c.Exited(joiner):
		case <-ctx.Done():
			t.Fatalf("the joiner armed with %s did not crash: %s", point, c.LogTail(joiner, 3000))
		}
		if st := c.ExitStatus(joiner); st != "signal: killed" {
			t.Fatalf("the joiner armed with %s ended with %q, not the crash point's SIGKILL:\n%s", point, st, c.LogTail(joiner, 3000))
		}
		c.Reap(joiner)
		if h := storedStateHeight(t, c, joiner); h != 0 {
			t.Fatalf("killed at %s, the joiner had stored the state of height %d; it must store nothing before the restore checked out", point, h)
		}
	}

	c.Nodes[joiner].Env = stateSyncEnv(ctx, t, c)
	if err := c.Start(joiner); err != nil {
		t.Fatal(err)
	}
	checkServesWhileSyncing(ctx, t, c, joiner)
	checkJoinerFollows(ctx, t, c, joiner, acked)

	// Restarted, it resumes from its own stores (state sync is not due
	// again) with its core where it left off.
	if err := c.Stop(joiner); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(joiner); err != nil {
		t.Fatal(err)
	}
	top, err := latestHeight(ctx, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitHeight(ctx, joiner, top+2); err != nil {
		t.Fatalf("the state-synced node did not catch up after a restart: %v", err)
	}
	if n := strings.Count(c.LogTail(joiner, 1<<22), "state sync done"); n != 1 {
		t.Fatalf("the node ran state sync to its end %d times; want once, before the restart", n)
	}
}

// checkServesWhileSyncing polls the joiner's RPC from its start: its first
// /status must come while state sync still runs (the discovery alone waits
// a second), catching up at height 0, and a broadcast then must be refused
// as a method the node does not serve yet.
func checkServesWhileSyncing(ctx context.Context, t *testing.T, c *Cluster, joiner int) {
	t.Helper()
	cl, err := c.Client(joiner)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := cl.Status(ctx)
		if err == nil {
			if st.SyncInfo.LatestBlockHeight != 0 || !st.SyncInfo.CatchingUp {
				t.Fatalf("the joiner's first status: height %d, catching up %v; want height 0 and catching up, answered while state sync runs",
					st.SyncInfo.LatestBlockHeight, st.SyncInfo.CatchingUp)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the joiner's RPC did not answer /status within 30s of its start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := cl.BroadcastTxSync(ctx, []byte("during-sync=1")); err == nil || !strings.Contains(err.Error(), "Method not found") {
		t.Fatalf("broadcast_tx_sync while state syncing: %v; want method not found", err)
	}
}

// startSnapshottingChain starts four validators of opts (and prepares a
// fifth node, not started) whose app snapshots every stateSyncInterval
// heights (the built-in kvstore, or CometBFT's e2e app with
// opts.ExternalApp), writes stateSyncKeys keys and waits until the chain
// holds a few snapshots. env adds to validator i's environment.
func startSnapshottingChain(ctx context.Context, t *testing.T, opts Options, env func(i int) []string) (*Cluster, map[string]string) {
	t.Helper()
	opts.Validators, opts.FullNodes = 4, 1
	if opts.App == AppCometE2E {
		opts.SnapshotInterval = stateSyncInterval
	}
	if opts.Protocol == "pbft" {
		// Checkpoints every few blocks, so that the joiner's start lies
		// between stable checkpoints of the others.
		opts.ExtraFlags = []string{"--consensus.checkpoint_interval", "4", "--consensus.watermark_window", "8"}
	}
	c, err := NewCluster(t.TempDir(), opts, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	t.Cleanup(func() { dumpLogsOnFailure(t, c) })
	for i := 0; i < 4; i++ {
		c.Nodes[i].Env = []string{fmt.Sprintf("BFTNODE_KVSTORE_SNAPSHOT_INTERVAL=%d", stateSyncInterval)}
		if env != nil {
			c.Nodes[i].Env = append(c.Nodes[i].Env, env(i)...)
		}
		if err := c.Start(i); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 4; i++ {
		if err := c.WaitHeight(ctx, i, 2); err != nil {
			t.Fatal(err)
		}
	}
	acked := map[string]string{}
	value := strings.Repeat("v", 200)
	for k := 0; k < stateSyncKeys(t); k++ {
		key := fmt.Sprintf("ss-%d", k)
		if err := sendTx(ctx, c, k%4, key, value); err != nil {
			t.Fatal(err)
		}
		acked[key] = value
	}
	waitCommittedOn(ctx, t, c, []int{0}, acked)
	top, err := latestHeight(ctx, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitHeight(ctx, 0, top+stateSyncInterval+3); err != nil {
		t.Fatal(err)
	}
	return c, acked
}

// stateSyncEnv configures a node for state sync against validators 0 and
// 1's RPC, trusting the header of height 1 as node 0 serves it.
func stateSyncEnv(ctx context.Context, t *testing.T, c *Cluster) []string {
	t.Helper()
	cl, err := c.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	one := int64(1)
	commit, err := cl.Commit(ctx, &one)
	if err != nil {
		t.Fatal(err)
	}
	return []string{
		"BFTNODE_STATESYNC_ENABLE=true",
		"BFTNODE_STATESYNC_RPC_SERVERS=" + c.Nodes[0].RPCAddr + "," + c.Nodes[1].RPCAddr,
		"BFTNODE_STATESYNC_TRUST_HEIGHT=1",
		"BFTNODE_STATESYNC_TRUST_HASH=" + commit.Header.Hash().String(),
		"BFTNODE_STATESYNC_DISCOVERY_TIME=1s",
		"BFTNODE_STATESYNC_CHUNK_REQUEST_TIMEOUT=2s",
	}
}

// storedStateHeight opens a stopped node's state store and returns the
// height of the state it holds, 0 if none.
func storedStateHeight(t *testing.T, c *Cluster, i int) int64 {
	t.Helper()
	ss, err := store.OpenStateStore(filepath.Join(c.Nodes[i].Home, "data", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	st, ok, err := ss.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return 0
	}
	return st.LastBlockHeight
}

// checkJoinerFollows waits until the joiner restored a snapshot and caught
// up, then checks what it restored and that it follows the chain.
func checkJoinerFollows(ctx context.Context, t *testing.T, c *Cluster, joiner int, acked map[string]string) {
	t.Helper()
	top, err := latestHeight(ctx, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitHeight(ctx, joiner, top+2); err != nil {
		t.Fatalf("the state-synced node did not reach height %d: %v", top+2, err)
	}
	cl, err := c.Client(joiner)
	if err != nil {
		t.Fatal(err)
	}
	st, err := cl.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	base := st.SyncInfo.EarliestBlockHeight
	if base <= 1 || (base-1)%stateSyncInterval != 0 {
		t.Fatalf("the joiner's blocks start at %d; after restoring a snapshot (every %d heights) they start right above one", base, stateSyncInterval)
	}
	t.Logf("the joiner restored the snapshot of height %d and follows at %d; its log says:\n%s", base-1, st.SyncInfo.LatestBlockHeight,
		grepLines(c.LogTail(joiner, 1<<22), "snapshot restored and verified"))
	// Keys written before the snapshot come from the snapshot itself.
	waitCommittedOn(ctx, t, c, []int{joiner}, acked)
	// The app hash it computes for a height is the one the chain's next
	// header carries.
	info, err := cl.ABCIInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := info.Response.LastBlockHeight
	if err := c.WaitHeight(ctx, 0, h+1); err != nil {
		t.Fatal(err)
	}
	ref, err := c.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	next := h + 1
	blk, err := ref.Block(ctx, &next)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(blk.Block.AppHash, info.Response.LastBlockAppHash) {
		t.Fatalf("the joiner's app hash at height %d is %X, the chain's is %X", h, info.Response.LastBlockAppHash, blk.Block.AppHash)
	}
	// A transaction sent to it reaches every node.
	fresh := map[string]string{"ss-after": "joined"}
	if err := sendTx(ctx, c, joiner, "ss-after", "joined"); err != nil {
		t.Fatal(err)
	}
	waitCommittedOn(ctx, t, c, []int{0, 1, 2, 3, joiner}, fresh)
}

// TestStateSyncCometBFTsE2EApp state-syncs a fifth node of a chain of
// CometBFT's e2e app, which takes snapshots with its own format
// (snapshot_interval) and whose app hash covers its whole state. Run by
// make e2e-app.
func TestStateSyncCometBFTsE2EApp(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	if _, err := CometE2EApp(); err != nil {
		t.Skipf("CometBFT's e2e app is not available: %v", err)
	}
	for _, protocol := range rpcProtocols() {
		t.Run(protocol, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), stateSyncTimeout)
			defer cancel()
			c, acked := startSnapshottingChain(ctx, t, Options{Protocol: protocol, ExternalApp: true, App: AppCometE2E}, nil)
			c.Nodes[4].Env = stateSyncEnv(ctx, t, c)
			if err := c.Start(4); err != nil {
				t.Fatal(err)
			}
			checkJoinerFollows(ctx, t, c, 4, acked)
		})
	}
}

// TestStateSyncByzantineServers starts the joiner among two honest
// validators and two that serve bad snapshots (a byzantine build): one
// flips a byte of every chunk it serves, the other serves, at a height
// above the honest snapshots, a snapshot whose chunks and hashes agree
// with each other but whose state is another. The joiner must drop both
// as snapshot sources (the app rejects the first's chunks; the restored
// app hash of the second's snapshot differs from the light client's
// header), restore an honest snapshot and follow the chain.
func TestStateSyncByzantineServers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	protocol := "tendermint"
	if p := os.Getenv("E2E_PROTOCOL"); p != "" {
		protocol = p
	}
	const joiner, badChunks, wrongState = 4, 2, 3
	ctx, cancel := context.WithTimeout(context.Background(), stateSyncTimeout)
	defer cancel()
	c, acked := startSnapshottingChain(ctx, t, Options{Protocol: protocol, BuildTags: []string{"byzantine"}}, func(i int) []string {
		switch i {
		case badChunks:
			return []string{"BFTNODE_BYZANTINE_SNAPSHOTS=badchunks"}
		case wrongState:
			// A snapshot every height: its forged latest one lies above
			// the honest ones when the joiner looks.
			return []string{"BFTNODE_BYZANTINE_SNAPSHOTS=wrongstate", "BFTNODE_KVSTORE_SNAPSHOT_INTERVAL=1"}
		}
		return nil
	})
	ids := map[int]string{}
	for _, i := range []int{badChunks, wrongState} {
		cl, err := c.Client(i)
		if err != nil {
			t.Fatal(err)
		}
		st, err := cl.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = string(st.NodeInfo.ID())
	}
	// Start right after an honest snapshot's height has passed, so that
	// the forged snapshot is the highest one offered while the joiner
	// looks.
	if err := c.WaitUntil(ctx, time.Minute, "a height just past an honest snapshot", func() (bool, error) {
		h, err := latestHeight(ctx, c, 0)
		return h%stateSyncInterval == 2, err
	}); err != nil {
		t.Fatal(err)
	}
	c.Nodes[joiner].Env = stateSyncEnv(ctx, t, c)
	if err := c.Start(joiner); err != nil {
		t.Fatal(err)
	}
	checkServesWhileSyncing(ctx, t, c, joiner)
	checkJoinerFollows(ctx, t, c, joiner, acked)
	log := c.LogTail(joiner, 1<<20)
	for i, reason := range map[int]string{
		badChunks:  "the application rejected a snapshot chunk it sent",
		wrongState: "served a snapshot whose restored app hash differs from the verified header's",
	} {
		if !strings.Contains(log, "peer="+ids[i]+" reason=\""+reason+"\"") {
			t.Errorf("the joiner did not drop node %d (%s) as a snapshot source for %q:\n%s", i, ids[i], reason, grepLines(log, "statesync"))
		}
	}
}

// grepLines keeps the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestStateSyncValidatorRejoins wipes a validator's chain data (keeping
// its keys and last-signed state, as after a lost disk) and has it come
// back by state sync: it must restore a snapshot, catch up and sign
// commits again, so its core votes from the height after the snapshot's
// on (PBFT: with the snapshot's height as its stable checkpoint).
func TestStateSyncValidatorRejoins(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	protocols := []string{"pbft"}
	if os.Getenv("STATESYNC_KEYS") != "" || os.Getenv("E2E_PROTOCOL") != "" {
		protocols = rpcProtocols()
	}
	for _, protocol := range protocols {
		t.Run(protocol, func(t *testing.T) { runValidatorRejoins(t, protocol) })
	}
}

func runValidatorRejoins(t *testing.T, protocol string) {
	const victim = 3
	ctx, cancel := context.WithTimeout(context.Background(), stateSyncTimeout)
	defer cancel()
	c, acked := startSnapshottingChain(ctx, t, Options{Protocol: protocol}, nil)
	cl, err := c.Client(victim)
	if err != nil {
		t.Fatal(err)
	}
	st, err := cl.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	addr := st.ValidatorInfo.Address
	if err := c.Stop(victim); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(c.Nodes[victim].Home, "data")
	entries, err := os.ReadDir(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "priv_validator_state.json" {
			if err := os.RemoveAll(filepath.Join(data, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	top, err := latestHeight(ctx, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	c.Nodes[victim].Env = append(c.Nodes[victim].Env, stateSyncEnv(ctx, t, c)...)
	if err := c.Start(victim); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitHeight(ctx, victim, top+2); err != nil {
		t.Fatalf("the wiped validator did not come back: %v", err)
	}
	if st, err = cl.Status(ctx); err != nil {
		t.Fatal(err)
	}
	if st.SyncInfo.EarliestBlockHeight <= 1 {
		t.Fatalf("the wiped validator's blocks start at %d: it did not state-sync", st.SyncInfo.EarliestBlockHeight)
	}
	waitCommittedOn(ctx, t, c, []int{victim}, acked)
	// It signs again: the LastCommit of some later block carries its
	// precommit (PBFT: COMMIT). Every block is read, not only the latest
	// commit, which holds only the first quorum when it is read at once.
	ref, err := c.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	// Heights above top were decided after it stopped: block top+2 carries
	// the first commit it can only have signed after it came back.
	checked := top + 2
	if err := c.WaitUntil(ctx, 90*time.Second, "a commit signed by the state-synced validator", func() (bool, error) {
		top, err := latestHeight(ctx, c, 0)
		if err != nil {
			return false, err
		}
		for ; checked <= top; checked++ {
			h := checked
			res, err := ref.Block(ctx, &h)
			if err != nil {
				return false, err
			}
			for _, sig := range res.Block.LastCommit.Signatures {
				if bytes.Equal(sig.ValidatorAddress, addr) && sig.BlockIDFlag == types.BlockIDFlagCommit {
					return true, nil
				}
			}
		}
		return false, nil
	}); err != nil {
		t.Fatal(err)
	}
}
