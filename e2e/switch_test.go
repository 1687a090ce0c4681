package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bftnode/bftnode/internal/failpoint"
)

// switchHeight is where the switch tests hand the chain to the other
// protocol: far enough to kill a validator well before it under load.
const switchHeight = 12

// TestProtocolSwitch is issue 14's acceptance test, in both directions:
// four validators backed by `abci-cli kvstore` run one protocol under a
// steady load, one validator is killed before the switch height and
// restarted after it, and the chain passes the switch with every
// acknowledged transaction committed once, every node on the same blocks
// and app hashes, every node's dump_consensus_state naming the second
// protocol and CometBFT's light client verifying the chain from height 1
// across the switch.
func TestProtocolSwitch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	for _, c := range []struct{ from, to string }{{"tendermint", "pbft"}, {"pbft", "tendermint"}} {
		t.Run(c.from+"-to-"+c.to, func(t *testing.T) { runSwitch(t, c.from, c.to) })
	}
}

func runSwitch(t *testing.T, from, to string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := startTestCluster(ctx, t, Options{
		Protocol: from, Validators: 4, ExternalApp: true,
		ExtraFlags: []string{"--consensus.switch_height", strconv.Itoa(switchHeight), "--consensus.switch_protocol", to},
	}, nil)
	const victim = 2
	load := startSwitchLoad(ctx, c, []int{0, 1, 3}, from)

	if err := c.WaitHeight(ctx, 0, switchHeight-6); err != nil {
		t.Fatal(err)
	}
	if err := c.Kill(victim); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitHeight(ctx, 0, switchHeight+3); err != nil {
		t.Fatalf("the chain did not pass the switch height %d with one validator down: %v", switchHeight, err)
	}
	if err := c.Start(victim); err != nil {
		t.Fatal(err)
	}
	restartAppIfRefused(ctx, t, c, victim)
	if err := c.WaitHeight(ctx, victim, switchHeight+5); err != nil {
		t.Fatalf("the restarted validator did not catch up across the switch: %v", err)
	}
	acked := load.stop()
	if len(acked) == 0 {
		t.Fatal("no transaction was acknowledged under load")
	}
	t.Logf("%d transactions acknowledged across the switch", len(acked))
	waitAllCommitted(ctx, t, c, acked)
	checkAgreement(ctx, t, c)
	for i := range c.Nodes {
		if got := dumpedProtocol(ctx, t, c, i); got != to {
			t.Errorf("node %d: dump_consensus_state names %q after the switch, want %q", i, got, to)
		}
	}
	verifyWithLightClient(ctx, t, c, 0, switchHeight+3)
}

// switchLoad sends transactions to some nodes until stopped and remembers
// the acknowledged ones.
type switchLoad struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	acked  map[string]string
}

func startSwitchLoad(ctx context.Context, c *Cluster, nodes []int, tag string) *switchLoad {
	ctx, cancel := context.WithCancel(ctx)
	l := &switchLoad{cancel: cancel, acked: map[string]string{}}
	for _, n := range nodes {
		l.wg.Add(1)
		go func(n int) {
			defer l.wg.Done()
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for i := 0; ; i++ {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				k, v := fmt.Sprintf("sw-%s-%d-%d", tag, n, i), strconv.Itoa(i)
				if sendTx(ctx, c, n, k, v) == nil {
					l.mu.Lock()
					l.acked[k] = v
					l.mu.Unlock()
				}
			}
		}(n)
	}
	return l
}

func (l *switchLoad) stop() map[string]string {
	l.cancel()
	l.wg.Wait()
	return l.acked
}

// dumpedProtocol is the protocol a node's dump_consensus_state names.
func dumpedProtocol(ctx context.Context, t *testing.T, c *Cluster, i int) string {
	t.Helper()
	cl, err := c.Client(i)
	if err != nil {
		t.Fatal(err)
	}
	dump, err := cl.DumpConsensusState(ctx)
	if err != nil {
		t.Fatalf("node %d dump_consensus_state: %v", i, err)
	}
	var rs struct {
		Protocol string `json:"protocol"`
		Schedule string `json:"protocol_schedule"`
	}
	if err := json.Unmarshal(dump.RoundState, &rs); err != nil {
		t.Fatalf("node %d dump_consensus_state: %v", i, err)
	}
	if rs.Schedule == "" {
		t.Errorf("node %d dump_consensus_state shows no protocol_schedule", i)
	}
	return rs.Protocol
}

// TestProtocolSwitchCrashPoints kills validators with SIGKILL at the
// hand-over itself, in both directions: one right after the application
// committed block H-1 (the core never heard of it: the node must hand over
// during recovery, from the stored block), one after it stored block H's
// results before the application committed it (the second protocol's
// first block, replayed into the application). Both come back into the
// second protocol; the chain, the transactions and the app hashes stay
// whole.
func TestProtocolSwitchCrashPoints(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	for _, c := range []struct{ from, to string }{{"tendermint", "pbft"}, {"pbft", "tendermint"}} {
		t.Run(c.from+"-to-"+c.to, func(t *testing.T) { runSwitchCrashPoints(t, c.from, c.to) })
	}
}

func runSwitchCrashPoints(t *testing.T, from, to string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	armed := map[int]failpoint.Spec{
		1: {Name: failpoint.ExecAppCommitted, After: switchHeight - 1},
		3: {Name: failpoint.ExecSavedState, After: switchHeight},
	}
	c := startTestCluster(ctx, t, Options{
		Protocol: from, Validators: 4, BuildTags: []string{"failpoint"},
		ExtraFlags: []string{"--consensus.switch_height", strconv.Itoa(switchHeight), "--consensus.switch_protocol", to},
	}, func(c *Cluster) error {
		for i, spec := range armed {
			c.Nodes[i].Env = []string{failpoint.EnvVar + "=" + spec.String()}
		}
		return nil
	})
	load := startSwitchLoad(ctx, c, []int{0, 2}, "crash-"+from)
	for i, spec := range armed {
		select {
		case <-c.Exited(i):
		case <-ctx.Done():
			t.Fatalf("node %d never reached its crash point %s", i, spec)
		}
		if st := c.ExitStatus(i); st != "signal: killed" {
			t.Fatalf("node %d armed with %s ended with %q, not the crash point's SIGKILL", i, spec, st)
		}
		c.Reap(i)
		c.Nodes[i].Env = nil
		if err := c.Start(i); err != nil {
			t.Fatal(err)
		}
	}
	for i := range c.Nodes {
		if err := c.WaitHeight(ctx, i, switchHeight+5); err != nil {
			t.Fatalf("node %d did not pass the switch after the crashes: %v", i, err)
		}
	}
	// Node 1 died before its core heard that H-1 was executed: only its
	// recovery can have handed over.
	if !strings.Contains(c.LogTail(1, 1<<20), "switching protocol") {
		t.Errorf("node 1's log does not show the hand-over after its crash at %s", armed[1])
	}
	acked := load.stop()
	waitAllCommitted(ctx, t, c, acked)
	checkAgreement(ctx, t, c)
	for i := range c.Nodes {
		if got := dumpedProtocol(ctx, t, c, i); got != to {
			t.Errorf("node %d: dump_consensus_state names %q after the switch, want %q", i, got, to)
		}
	}
}
