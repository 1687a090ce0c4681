package pbft

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// randomizedSeeds is how many seeds the randomized test runs; raise it for
// a longer search.
var randomizedSeeds = 12

// TestRandomized_LossyNetworkCrashesAndASilentValidator runs clusters over a
// network that loses, duplicates and reorders messages, crashes and
// restarts replicas from their snapshots and logs, and silences one
// validator at a time (at most f). Agreement must hold throughout; once the
// network heals, every replica must make progress.
func TestRandomized_LossyNetworkCrashesAndASilentValidator(t *testing.T) {
	seeds := randomizedSeeds
	if testing.Short() {
		seeds = 3
	}
	for seed := int64(1); seed <= int64(seeds); seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			powers := []int64{1, 1, 1, 1}
			if seed%3 == 0 {
				powers = []int64{3, 2, 2, 1, 1} // any one silenced stays below 1/3
			}
			cfg := testConfig()
			cfg.CheckpointInterval, cfg.WatermarkWindow = 5, 10
			cl := newCluster(t, cfg, powers...)
			cl.rng, cl.loss, cl.dupRate = rng, 0.15, 0.05
			cl.txs = seed%2 == 0
			silent := -1
			cl.drop = func(from, to int, _ consensus.Message) bool { return from == silent || to == silent }
			cl.start()
			for round := 0; round < 12; round++ {
				switch rng.Intn(3) {
				case 0:
					silent = rng.Intn(len(cl.nodes))
				case 1:
					silent = -1
				case 2:
					cl.restart(rng.Intn(len(cl.nodes)))
				}
				cl.runFor(time.Duration(2+rng.Intn(8))*time.Second, 3_000_000)
				if len(cl.conflicts) > 0 {
					t.Fatalf("disagreement: %v", cl.conflicts)
				}
			}
			silent, cl.loss, cl.dupRate = -1, 0, 0
			h := cl.chainHeight()
			cl.run(3_000_000, cl.allExecuted(h+10, cl.all()...))
			if len(cl.conflicts) > 0 {
				t.Fatalf("disagreement: %v", cl.conflicts)
			}
			for i, n := range cl.nodes {
				if n.err != nil {
					t.Fatalf("node %d halted: %v", i, n.err)
				}
			}
		})
	}
}

// TestByzantinePrimary_EquivocationForcesViewChange: the primary of view 0
// sends every backup a different block for every height. No block can be
// prepared, the backups change view, and the chain goes on under an honest
// primary with every replica agreeing.
func TestByzantinePrimary_EquivocationForcesViewChange(t *testing.T) {
	cl := newCluster(t, testConfig(), 1, 1, 1, 1)
	cl.txs = true
	cl.tamper = func(from, to int, m consensus.Message) consensus.Message {
		pp, ok := m.(*consensus.Proposal)
		if !ok || from != 0 {
			return m
		}
		forged := *pp
		forged.Value = consensus.ID(fmt.Sprintf("%s-for-%d", pp.Value, to))
		return &forged
	}
	cl.start()
	cl.run(500_000, cl.allExecuted(20, 1, 2, 3))
	if len(cl.conflicts) != 0 {
		t.Fatal(cl.conflicts)
	}
	for i := 1; i < 4; i++ {
		c := cl.nodes[i].core
		if c.view == 0 || c.lookup(1, 0) != nil && c.lookup(1, 0).certified {
			t.Fatalf("node %d: view %d; a forged block was prepared in view 0", i, c.view)
		}
	}
	if d := cl.chain[1].Value; d == blockID(1, 0) || len(d) == 0 {
		t.Fatalf("height 1 decided as %q", d)
	}
}
