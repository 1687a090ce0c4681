package abci

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"
)

// runBlock drives one height through the consensus connection the way the
// engine does: prepare, process, finalize, commit.
func runBlock(t *testing.T, conns *Conns, height int64, txs [][]byte) *abcitypes.ResponseFinalizeBlock {
	t.Helper()
	ctx := testCtx(t)
	prep, err := conns.Consensus.PrepareProposal(ctx, &abcitypes.RequestPrepareProposal{
		Txs: txs, MaxTxBytes: 1 << 20, Height: height,
	})
	if err != nil {
		t.Fatalf("PrepareProposal: %v", err)
	}
	proc, err := conns.Consensus.ProcessProposal(ctx, &abcitypes.RequestProcessProposal{Txs: prep.Txs, Height: height})
	if err != nil {
		t.Fatalf("ProcessProposal: %v", err)
	}
	if !proc.IsAccepted() {
		t.Fatalf("ProcessProposal rejected %q", prep.Txs)
	}
	fin, err := conns.Consensus.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Txs: prep.Txs, Height: height})
	if err != nil {
		t.Fatalf("FinalizeBlock: %v", err)
	}
	if _, err := conns.Consensus.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return fin
}

func TestWrappersAgainstSocketKVStore(t *testing.T) {
	for _, proto := range []string{"tcp", "unix"} {
		t.Run(proto, func(t *testing.T) {
			app := startSocketApp(t, newKVStore(), proto)
			conns := connectTest(t, app.addr)
			ctx := testCtx(t)

			info, err := conns.Query.Info(ctx, &abcitypes.RequestInfo{})
			if err != nil {
				t.Fatalf("Info: %v", err)
			}
			if info.LastBlockHeight != 0 {
				t.Fatalf("fresh app at height %d, want 0", info.LastBlockHeight)
			}
			if _, err := conns.Consensus.InitChain(ctx, &abcitypes.RequestInitChain{ChainId: "test"}); err != nil {
				t.Fatalf("InitChain: %v", err)
			}
			fin := runBlock(t, conns, 1, [][]byte{[]byte("a=1"), []byte("b:2")})
			if len(fin.TxResults) != 2 || len(fin.AppHash) == 0 {
				t.Fatalf("FinalizeBlock: %d results, app hash %X", len(fin.TxResults), fin.AppHash)
			}

			q, err := conns.Query.Query(ctx, &abcitypes.RequestQuery{Data: []byte("b")})
			if err != nil {
				t.Fatalf("Query: %v", err)
			}
			if string(q.Value) != "2" || q.Height != 1 {
				t.Fatalf("Query b = %q at height %d, want \"2\" at 1", q.Value, q.Height)
			}
			info, err = conns.Query.Info(ctx, &abcitypes.RequestInfo{})
			if err != nil || info.LastBlockHeight != 1 || !bytes.Equal(info.LastBlockAppHash, fin.AppHash) {
				t.Fatalf("Info after block 1: %v, %v", info, err)
			}

			good, err := conns.Mempool.CheckTx(ctx, &abcitypes.RequestCheckTx{Tx: []byte("k=v")})
			if err != nil || good.Code != abcitypes.CodeTypeOK {
				t.Fatalf("CheckTx(k=v) = %v, %v", good, err)
			}
			bad, err := conns.Mempool.CheckTx(ctx, &abcitypes.RequestCheckTx{Tx: []byte("no-separator")})
			if err != nil || bad.Code == abcitypes.CodeTypeOK {
				t.Fatalf("CheckTx(no-separator) = %v, %v; want a non-zero code and no error", bad, err)
			}
			snaps, err := conns.Snapshot.ListSnapshots(ctx)
			if err != nil || len(snaps.Snapshots) != 0 {
				t.Fatalf("ListSnapshots = %v, %v", snaps, err)
			}
			// kvstore takes no snapshots and no vote extensions: these
			// check the calls travel and come back with the defaults.
			offer, err := conns.Snapshot.OfferSnapshot(ctx, &abcitypes.RequestOfferSnapshot{})
			if err != nil || offer.Result != abcitypes.ResponseOfferSnapshot_UNKNOWN {
				t.Fatalf("OfferSnapshot = %v, %v", offer, err)
			}
			if chunk, err := conns.Snapshot.LoadSnapshotChunk(ctx, &abcitypes.RequestLoadSnapshotChunk{}); err != nil || len(chunk.Chunk) != 0 {
				t.Fatalf("LoadSnapshotChunk = %v, %v", chunk, err)
			}
			if _, err := conns.Snapshot.ApplySnapshotChunk(ctx, &abcitypes.RequestApplySnapshotChunk{}); err != nil {
				t.Fatalf("ApplySnapshotChunk: %v", err)
			}
			if ext, err := conns.Consensus.ExtendVote(ctx, &abcitypes.RequestExtendVote{Height: 2}); err != nil || len(ext.VoteExtension) != 0 {
				t.Fatalf("ExtendVote = %v, %v", ext, err)
			}
			if v, err := conns.Consensus.VerifyVoteExtension(ctx, &abcitypes.RequestVerifyVoteExtension{Height: 2}); err != nil || !v.IsAccepted() {
				t.Fatalf("VerifyVoteExtension = %v, %v", v, err)
			}
			if conns.Err() != nil {
				t.Fatalf("healthy connections report %v", conns.Err())
			}
		})
	}
}

func TestCheckTxAsyncAnswersEveryCallerOnce(t *testing.T) {
	app := startSocketApp(t, newKVStore(), "unix")
	conns := connectTest(t, app.addr)
	const n = 500
	var wg sync.WaitGroup
	codes := make([]uint32, n)
	calls := make([]int, n)
	var mu sync.Mutex
	wg.Add(n)
	for i := range n {
		tx := []byte(fmt.Sprintf("k%d=v", i))
		if i%5 == 0 {
			tx = []byte(fmt.Sprintf("bad%d", i))
		}
		conns.Mempool.CheckTxAsync(&abcitypes.RequestCheckTx{Tx: tx}, func(res *abcitypes.ResponseCheckTx, err error) {
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("tx %d: %v", i, err)
			} else {
				codes[i] = res.Code
			}
			calls[i]++
			if calls[i] == 1 {
				wg.Done()
			}
		})
	}
	if err := conns.Mempool.Flush(testCtx(t)); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	for i := range n {
		if calls[i] != 1 {
			t.Errorf("tx %d: done called %d times", i, calls[i])
		}
		if wantOK := i%5 != 0; wantOK != (codes[i] == abcitypes.CodeTypeOK) {
			t.Errorf("tx %d: code %d", i, codes[i])
		}
	}
}

// misbehavingApp is a kvstore that breaks one rule of the ABCI contract.
type misbehavingApp struct {
	*kvstore.Application
	dropResult     bool
	unknownVerdict bool
	stuffProposal  bool
	failFinalize   bool
}

func (a *misbehavingApp) FinalizeBlock(ctx context.Context, req *abcitypes.RequestFinalizeBlock) (*abcitypes.ResponseFinalizeBlock, error) {
	if a.failFinalize {
		return nil, errors.New("disk full")
	}
	res, err := a.Application.FinalizeBlock(ctx, req)
	if err == nil && a.dropResult && len(res.TxResults) > 0 {
		res.TxResults = res.TxResults[1:]
	}
	return res, err
}

func (a *misbehavingApp) ProcessProposal(ctx context.Context, req *abcitypes.RequestProcessProposal) (*abcitypes.ResponseProcessProposal, error) {
	if a.unknownVerdict {
		return &abcitypes.ResponseProcessProposal{Status: abcitypes.ResponseProcessProposal_UNKNOWN}, nil
	}
	return a.Application.ProcessProposal(ctx, req)
}

func (a *misbehavingApp) PrepareProposal(ctx context.Context, req *abcitypes.RequestPrepareProposal) (*abcitypes.ResponsePrepareProposal, error) {
	if a.stuffProposal {
		return &abcitypes.ResponsePrepareProposal{Txs: append(req.Txs, bytes.Repeat([]byte("x"), int(req.MaxTxBytes)))}, nil
	}
	return a.Application.PrepareProposal(ctx, req)
}

func TestContractViolationsFailTheConnections(t *testing.T) {
	txs := [][]byte{[]byte("a=1"), []byte("b=2"), []byte("c=3")}
	cases := []struct {
		name string
		app  *misbehavingApp
		call func(*Conns) error
		want []string
	}{
		{"FinalizeBlock result count", &misbehavingApp{Application: newKVStore(), dropResult: true},
			func(c *Conns) error {
				_, err := c.Consensus.FinalizeBlock(context.Background(), &abcitypes.RequestFinalizeBlock{Txs: txs, Height: 1})
				return err
			}, []string{"2 tx results", "3 txs", "block 1"}},
		{"ProcessProposal unknown status", &misbehavingApp{Application: newKVStore(), unknownVerdict: true},
			func(c *Conns) error {
				_, err := c.Consensus.ProcessProposal(context.Background(), &abcitypes.RequestProcessProposal{Txs: txs, Height: 4})
				return err
			}, []string{"UNKNOWN", "height 4"}},
		{"PrepareProposal over MaxTxBytes", &misbehavingApp{Application: newKVStore(), stuffProposal: true},
			func(c *Conns) error {
				_, err := c.Consensus.PrepareProposal(context.Background(), &abcitypes.RequestPrepareProposal{Txs: txs, MaxTxBytes: 100, Height: 2})
				return err
			}, []string{"more than the 100 bytes", "height 2"}},
		{"app error becomes an exception", &misbehavingApp{Application: newKVStore(), failFinalize: true},
			func(c *Conns) error {
				_, err := c.Consensus.FinalizeBlock(context.Background(), &abcitypes.RequestFinalizeBlock{Txs: txs, Height: 1})
				return err
			}, []string{"disk full", "FinalizeBlock"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSocketApp(t, tc.app, "unix")
			conns := connectTest(t, srv.addr)
			err := tc.call(conns)
			if !errors.Is(err, ErrConnFailed) {
				t.Fatalf("got %v, want an error wrapping ErrConnFailed", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			failure := waitFailed(t, conns)
			if !strings.Contains(failure.Error(), srv.addr) {
				t.Errorf("failure %q does not name the app address %s", failure, srv.addr)
			}
			if _, err := conns.Consensus.Commit(context.Background()); !errors.Is(err, ErrConnFailed) {
				t.Errorf("Commit after the failure: %v, want ErrConnFailed", err)
			}
		})
	}
}

func TestProtoTxSizeMatchesCometBFT(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 300, 16383, 16384, 1 << 20, 3 << 21} {
		tx := make([]byte, n)
		want := cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{tx})
		if got := ProtoTxSize(n); got != want {
			t.Errorf("ProtoTxSize(%d) = %d, CometBFT says %d", n, got, want)
		}
	}
	txs := [][]byte{make([]byte, 10), make([]byte, 200), nil}
	want := cmttypes.ComputeProtoSizeForTxs(cmttypes.ToTxs(txs))
	if got := ProtoTxsSize(txs); got != want {
		t.Errorf("ProtoTxsSize = %d, CometBFT says %d", got, want)
	}
}
