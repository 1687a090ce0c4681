package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/bftnode/bftnode/internal/faultproxy"
)

// TestACutOffNodeDoesNotResurrectCommittedTransactions, for each protocol:
// a validator cut off from its peers takes a transaction that the others
// then commit without it, and so many more that their caches (50 keys
// here) forget the first. When the links heal, the validator still holds
// the transaction; offering it to peers that forgot it would have it
// committed a second time. The chain must hold it exactly once.
func TestACutOffNodeDoesNotResurrectCommittedTransactions(t *testing.T) {
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
	c, err := NewCluster(t.TempDir(), Options{
		Protocol: protocol, Validators: 4, ExternalApp: true,
		ExtraFlags: []string{"--mempool.cache_size", "50"},
	}, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown()
	defer dumpLogsOnFailure(t, c)
	mesh, err := c.UseProxies()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.StartAll(); err != nil {
		t.Fatal(err)
	}
	for i := range c.Nodes {
		if err := c.WaitHeight(ctx, i, 2); err != nil {
			t.Fatal(err)
		}
	}
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
	mesh.HealAll()
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
