package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPBFTViewChangeAfterPowersReorderTheSet runs four PBFT validators of
// power 10 under a light load, raises the last validator's power to 15
// with the kvstore's validator transaction (the set is sorted by power, so
// it moves to index 0 and the others' indexes shift, as a delegation did
// on a gaia chain), pauses the primary a few heights after the change for
// longer than the view-change timeout, and requires the chain to decide 10
// more blocks and no node to penalize another: every signature names its
// signer by its index in the set of its height. Before the fix a NEW-VIEW
// re-proposing heights before the change, or a checkpoint of the height
// before it, failed verification, cost its honest sender a penalty, and
// the replicas could stay in view change.
func TestPBFTViewChangeAfterPowersReorderTheSet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := startTestCluster(ctx, t, Options{Protocol: "pbft", Validators: 4, ExtraFlags: []string{
		"--consensus.view_change_timeout", killViewChangeTimeout.String(),
	}}, nil)
	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		trickleTxs(loadCtx, c, func(int) bool { return true })
	}()
	defer func() { stopLoad(); wg.Wait() }()

	// Right after a checkpoint height (K = 10), so that the view change
	// comes before the next checkpoint is stable and the NEW-VIEW
	// re-proposes heights from before the change.
	if err := c.WaitHeight(ctx, 0, 11); err != nil {
		t.Fatal(err)
	}
	cl, err := c.Client(0)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := cl.Validators(ctx, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	last := vals.Validators[len(vals.Validators)-1]
	tx := fmt.Sprintf("val=%s!%s!15", last.PubKey.Type(), base64.StdEncoding.EncodeToString(last.PubKey.Bytes()))
	res, err := cl.BroadcastTxSync(ctx, []byte(tx))
	if err != nil || res.Code != 0 {
		t.Fatalf("validator transaction: %v %+v", err, res)
	}
	var changedAt int64
	err = c.WaitUntil(ctx, 30*time.Second, "the new powers", func() (bool, error) {
		v, err := cl.Validators(ctx, nil, nil, nil)
		if err != nil {
			return false, nil
		}
		if v.Validators[0].Address.String() != last.Address.String() || v.Validators[0].VotingPower != 15 {
			return false, nil
		}
		changedAt = v.BlockHeight
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	primary, err := latestProposer(ctx, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	watched := (primary + 1) % len(c.Nodes)
	start, err := latestHeight(ctx, c, watched)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("validator %s at index 0 with power 15 from height %d; pausing node %d, the primary, at height %d", last.Address, changedAt, primary, start)
	if err := c.Pause(primary); err != nil {
		t.Fatal(err)
	}
	if err := Sleep(ctx, 2*killViewChangeTimeout); err != nil {
		t.Fatal(err)
	}
	if err := c.Resume(primary); err != nil {
		t.Fatal(err)
	}
	target := start + killBlocksAfter
	err = c.WaitUntil(ctx, 40*time.Second, fmt.Sprintf("node %d at height %d", watched, target), func() (bool, error) {
		h, err := latestHeight(ctx, c, watched)
		return err == nil && h >= target, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := currentView(ctx, c, watched); err != nil || v < 1 {
		t.Fatalf("node %d in view %d (%v) after the pause; the test needs a view change", watched, v, err)
	}
	for i := range c.Nodes {
		if tail := c.LogTail(i, 1<<20); strings.Contains(tail, "peer penalized") {
			t.Errorf("node %d penalized a peer:\n%s", i, grepLines(tail, "peer penalized"))
		}
	}
}

// currentView is the round of node's consensus_state: under PBFT its view.
func currentView(ctx context.Context, c *Cluster, node int) (int, error) {
	cl, err := c.Client(node)
	if err != nil {
		return 0, err
	}
	cs, err := cl.ConsensusState(ctx)
	if err != nil {
		return 0, err
	}
	var rs struct {
		HRS string `json:"height/round/step"`
	}
	if err := json.Unmarshal(cs.RoundState, &rs); err != nil {
		return 0, err
	}
	parts := strings.Split(rs.HRS, "/")
	if len(parts) != 3 {
		return 0, fmt.Errorf("height/round/step %q", rs.HRS)
	}
	return strconv.Atoi(parts[1])
}
