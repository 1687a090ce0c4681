package node

import (
	"context"
	"log/slog"
	"testing"

	"github.com/cometbft/cometbft/abci/example/kvstore"

	"github.com/bftnode/bftnode/config"
	"github.com/bftnode/bftnode/internal/testnet"
)

// TestNewChainTakesTheAppVersion starts a new chain with the built-in
// kvstore, which reports app version 1 in Info: as in CometBFT, the chain
// state takes it, so that headers and the node info carry it.
func TestNewChainTakesTheAppVersion(t *testing.T) {
	gen, err := testnet.Generate(testnet.Options{
		Validators: 1, OutputDir: t.TempDir(), NodeDirPrefix: "node",
		BasePort: freeBase(t, 10), Protocol: "tendermint", ChainID: "version-test",
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(gen[0].Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if got := n.Engine().State().Version.Consensus.App; got != kvstore.AppVersion {
		t.Errorf("the chain's app version is %d, the app reported %d", got, kvstore.AppVersion)
	}
	if got := (rpcP2P{n, n.host}).NodeInfo().ProtocolVersion.App; got != kvstore.AppVersion {
		t.Errorf("the node info's app version is %d, want %d", got, kvstore.AppVersion)
	}
}
