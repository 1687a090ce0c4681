package pbft

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// runRecorded runs a cluster through normal operation, a view change after
// the primary goes silent, and recovery, recording node 2's inputs and
// actions.
func runRecorded(t *testing.T) *cluster {
	t.Helper()
	cl := newCluster(t, testConfig(), 1, 1, 1, 1)
	cl.nodes[2].record = true
	cl.txs = true
	cl.start()
	cl.run(500_000, cl.allExecuted(35, cl.all()...))
	cl.drop = func(from, to int, _ consensus.Message) bool { return from == 0 || to == 0 }
	cl.run(500_000, cl.allExecuted(70, 1, 2, 3))
	cl.drop = nil
	cl.run(500_000, cl.allExecuted(90, cl.all()...))
	return cl
}

func TestReplay_SameInputsSameActions(t *testing.T) {
	cl := runRecorded(t)
	rec := cl.nodes[2]
	replay := func(c *Core, from int) {
		t.Helper()
		for i := from; i < len(rec.inputs); i++ {
			acts, err := c.Step(rec.inputs[i])
			if err != nil {
				t.Fatalf("input %d (%T): %v", i, rec.inputs[i], err)
			}
			if !reflect.DeepEqual(acts, rec.actions[i]) {
				t.Fatalf("input %d (%T): actions differ\n got  %v\n want %v", i, rec.inputs[i], acts, rec.actions[i])
			}
		}
	}
	t.Run("from genesis", func(t *testing.T) {
		replay(newCore(t, testConfig(), cl.vals, 2), 0)
	})
	// From every snapshot the node saved: rebuild and replay what followed.
	snapshots := 0
	for i, acts := range rec.actions {
		for _, s := range ofType[consensus.SaveSnapshot](acts) {
			snapshots++
			c, err := New(testConfig(), addr(2), cl.vals, s.State)
			if err != nil {
				t.Fatalf("snapshot after input %d: %v", i, err)
			}
			replay(c, i+1)
		}
	}
	if snapshots < 5 {
		t.Fatalf("only %d snapshots saved over %d blocks", snapshots, cl.nodes[2].core.lastExecuted)
	}
}

func TestSnapshot_RoundTrip(t *testing.T) {
	cl := runRecorded(t)
	for i, n := range cl.nodes {
		snap, err := n.core.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(testConfig(), addr(i), cl.vals, snap)
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		again, err := c.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(snap, again) {
			t.Fatalf("node %d: snapshot changed across a round trip", i)
		}
		if !reflect.DeepEqual(c.State(), n.core.State()) || c.Status() != n.core.Status() {
			t.Fatalf("node %d: state %+v, want %+v", i, c.State(), n.core.State())
		}
		n.core = c
	}
	// The restored replicas go on deciding once started. Timers of the old
	// instances still fire into the new ones, as after a quick restart.
	cl.start()
	cl.run(500_000, cl.allExecuted(110, cl.all()...))
	if len(cl.conflicts) != 0 {
		t.Fatal(cl.conflicts)
	}
}

func TestSnapshot_RejectsBadBytes(t *testing.T) {
	vals := testVals(t, 1, 1, 1, 1)
	c := newCore(t, testConfig(), vals, 1)
	decideThrough(t, c, vals, 3)
	good, err := c.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 0x40
		return b
	}
	cases := map[string]struct {
		data []byte
		want string
	}{
		"empty":       {[]byte{}, "magic"},
		"bad magic":   {flip(0), "magic"},
		"new version": {flip(len(snapshotMagic)), "version"},
		"corrupt":     {flip(len(good) - 5), "checksum"},
		"truncated":   {good[:len(good)-10], "checksum"},
		"header only": {good[:snapshotHeader], "checksum"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := New(testConfig(), addr(1), vals, tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one about %s", err, tc.want)
			}
		})
	}
	// A well-formed snapshot of an impossible state is rejected too.
	s := c.toSnapshot()
	s.LastDecided = s.LastExecuted + 5
	if err := newEmpty(testConfig(), addr(1)).fromSnapshot(s); err == nil {
		t.Fatal("accepted a snapshot whose decided height runs ahead of execution")
	}
	cfg := testConfig()
	cfg.InitialHeight = 100
	if _, err := New(cfg, addr(1), vals, good); err == nil {
		t.Fatal("accepted a snapshot from before the chain's initial height")
	}
}
