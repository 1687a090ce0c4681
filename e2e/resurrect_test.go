package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/bftnode/bftnode/internal/faultproxy"
)

// TestARestartedNodeDoesNotResurrectCommittedTransactions, for each
// protocol: a validator holds a transaction durably that the others commit
// without it (the client gave it to both while the validator was cut
// off), then so many more that their caches (50 keys here) forget the
// first. The validator is killed and restarted far behind: it re-admits
// the transaction from its store, and offering it to peers that forgot it
// would have it committed a second time. The chain must hold it once.
func TestARestartedNodeDoesNotResurrectCommittedTransactions(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	for _, protocol := range []string{"tendermint", "pbft"} {
		t.Run(protocol, func(t *testing.T) { runResurrect(t, protocol) })
	}
}

func runResurrect(t *testing.T, protocol string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var mesh *faultproxy.Mesh
	c := startTestCluster(ctx, t, Options{
		Protocol: protocol, Validators: 4, ExternalApp: true,
		ExtraFlags: []string{"--mempool.cache_size", "50"},
	}, func(c *Cluster) (err error) {
		mesh, err = c.UseProxies()
		return err
	})
	const victim = 3
	mesh.Isolate(victim, faultproxy.Cut)
	key := "resurrect-" + protocol
	if err := sendTx(ctx, c, victim, key, "1"); err != nil {
		t.Fatal(err)
	}
	if err := sendTx(ctx, c, 0, key, "1"); err != nil {
		t.Fatal(err)
	}
	acked := map[string]string{key: "1"}
	for j := 0; j < 120; j++ {
		k := fmt.Sprintf("filler-%s-%d", protocol, j)
		if err := sendTx(ctx, c, j%3, k, "x"); err != nil {
			t.Fatal(err)
		}
		acked[k] = "x"
	}
	waitCommittedOn(ctx, t, c, []int{0, 1, 2}, acked)
	if err := c.Kill(victim); err != nil {
		t.Fatal(err)
	}
	mesh.HealAll()
	if err := c.Start(victim); err != nil {
		t.Fatal(err)
	}
	h, err := latestHeight(ctx, c, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The victim catches up, and a few more blocks give a resurrected
	// transaction every chance to be proposed again.
	if err := c.WaitHeight(ctx, victim, h+5); err != nil {
		t.Fatal(err)
	}
	for i := range c.Nodes {
		if err := c.WaitHeight(ctx, i, h+5); err != nil {
			t.Fatal(err)
		}
	}
	checkAgreement(ctx, t, c)
}
