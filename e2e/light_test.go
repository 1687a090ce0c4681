package e2e

import (
	"context"
	"testing"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/light/provider"
	lighthttp "github.com/cometbft/cometbft/light/provider/http"
	lightdb "github.com/cometbft/cometbft/light/store/db"
)

// verifyWithLightClient has CometBFT's light client, trusting node i's
// block 1, verify the chain up to height target over node i's RPC, once
// header by header and once by skipping (bisection), as a light client of
// the chain would. The next node serves as the witness it cross-checks.
func verifyWithLightClient(ctx context.Context, t *testing.T, c *Cluster, i int, target int64) {
	t.Helper()
	cl, err := c.Client(i)
	if err != nil {
		t.Fatal(err)
	}
	one := int64(1)
	first, err := cl.Commit(ctx, &one)
	if err != nil {
		t.Fatalf("commit of height 1: %v", err)
	}
	for name, mode := range map[string]light.Option{
		"sequential": light.SequentialVerification(),
		"skipping":   light.SkippingVerification(light.DefaultTrustLevel),
	} {
		primary, err := lighthttp.New(first.ChainID, "http://"+c.Nodes[i].RPCAddr)
		if err != nil {
			t.Fatal(err)
		}
		witness, err := lighthttp.New(first.ChainID, "http://"+c.Nodes[(i+1)%len(c.Nodes)].RPCAddr)
		if err != nil {
			t.Fatal(err)
		}
		lc, err := light.NewClient(ctx, first.ChainID,
			light.TrustOptions{Period: time.Hour, Height: 1, Hash: first.Header.Hash()},
			primary, []provider.Provider{witness}, lightdb.New(dbm.NewMemDB(), first.ChainID),
			mode, light.Logger(log.NewNopLogger()), light.MaxRetryAttempts(3))
		if err != nil {
			t.Fatalf("%s light client: %v", name, err)
		}
		lb, err := lc.VerifyLightBlockAtHeight(ctx, target, time.Now())
		if err != nil {
			t.Fatalf("%s light client could not verify height %d from height 1: %v", name, target, err)
		}
		if lb.Height != target {
			t.Fatalf("%s light client verified height %d, want %d", name, lb.Height, target)
		}
		_ = lc.Cleanup()
	}
}
