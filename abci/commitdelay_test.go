package abci

import (
	"context"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
)

func TestWithCommitDelaySlowsOnlyCommit(t *testing.T) {
	app, closeApp, err := NewKVStore("", 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer closeApp()
	const d = 30 * time.Millisecond
	slow := WithCommitDelay(app, d)
	ctx := context.Background()
	if _, err := slow.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: 1, Txs: [][]byte{[]byte("a=1")}}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := slow.Commit(ctx, &abcitypes.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < d {
		t.Fatalf("Commit took %v, want at least %v", took, d)
	}
	info, err := slow.Info(ctx, &abcitypes.RequestInfo{})
	if err != nil || info.LastBlockHeight != 1 {
		t.Fatalf("the wrapped app did not commit height 1: %+v, %v", info, err)
	}
	if WithCommitDelay(app, 0) != app {
		t.Fatal("a zero delay wrapped the app")
	}
}
