package rpc

import (
	"context"
	"errors"
	"fmt"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	"github.com/cometbft/cometbft/types"
)

// subscribeTimeout bounds how long a subscription may take to register.
const subscribeTimeout = 5 * time.Second

// errCheckDropped is returned when the mempool drops a check before the app
// answered.
var errCheckDropped = errors.New("the node dropped the transaction's check before the app answered (is it stopping?)")

// What each broadcast route promises when it answers without an error:
//
//   - broadcast_tx_async: nothing beyond the mempool's own rules (size,
//     duplicates, room). The answer is the hash, sent before the app has
//     checked tx and before anything is on disk; tx may still be rejected
//     by the app or lost in a crash. The client learns more from tx or
//     from a Tx event.
//   - broadcast_tx_sync: the app's CheckTx answer. With Code 0, tx passed
//     CheckTx and is on disk (synced) in this node's mempool store, so it
//     survives a crash of this node and is proposed after a restart.
//   - broadcast_tx_commit: all of sync's promise, and then tx is in a
//     committed block, with its execution result; or an error saying it
//     was not seen committed within timeout_broadcast_tx_commit (it may
//     still be committed later).

func (r *routes) broadcastTxAsync(_ *rpctypes.Context, tx types.Tx) (*coretypes.ResultBroadcastTx, error) {
	if _, err := r.env.Mempool.CheckTxAsync(tx); err != nil {
		return nil, err
	}
	return &coretypes.ResultBroadcastTx{Hash: tx.Hash()}, nil
}

func (r *routes) broadcastTxSync(ctx *rpctypes.Context, tx types.Tx) (*coretypes.ResultBroadcastTx, error) {
	res, err := r.checkTxAndWait(ctx.Context(), tx)
	if err != nil {
		return nil, err
	}
	return &coretypes.ResultBroadcastTx{
		Code: res.Code, Data: res.Data, Log: res.Log, Codespace: res.Codespace, Hash: tx.Hash(),
	}, nil
}

// checkTxAndWait submits tx to the mempool and waits for the outcome: the
// app's answer and, for an accepted tx, its write to disk.
func (r *routes) checkTxAndWait(ctx context.Context, tx types.Tx) (*abci.ResponseCheckTx, error) {
	outcome, err := r.env.Mempool.CheckTxAsync(tx)
	if err != nil {
		return nil, err
	}
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("broadcast confirmation not received: %w", ctx.Err())
	case res, ok := <-outcome:
		switch {
		case !ok || (res.Err == nil && res.Response == nil):
			return nil, errCheckDropped
		case res.Err != nil:
			return nil, res.Err
		}
		return res.Response, nil
	}
}

// broadcastTxCommit subscribes to the transaction's Tx event before
// submitting it, so the event cannot be missed, then waits for it up to
// timeout_broadcast_tx_commit. The subscription is buffered: the event bus
// never waits for this request.
func (r *routes) broadcastTxCommit(ctx *rpctypes.Context, tx types.Tx) (*coretypes.ResultBroadcastTxCommit, error) {
	subscriber := ctx.RemoteAddr()
	if err := r.checkSubscriptionLimits(subscriber); err != nil {
		return nil, err
	}
	q := types.EventQueryTxFor(tx)
	subCtx, cancel := context.WithTimeout(ctx.Context(), subscribeTimeout)
	defer cancel()
	release := r.env.TxInterest.track(q)
	defer release()
	sub, err := r.env.EventBus.Subscribe(subCtx, subscriber, q)
	if err != nil {
		return nil, fmt.Errorf("failed to subscribe to tx: %w", err)
	}
	defer func() {
		if err := r.env.EventBus.Unsubscribe(context.Background(), subscriber, q); err != nil {
			r.logger.Debug("unsubscribing after broadcast_tx_commit", "err", err)
		}
	}()
	check, err := r.checkTxAndWait(ctx.Context(), tx)
	if err != nil {
		return nil, fmt.Errorf("error on broadcastTxCommit: %w", err)
	}
	if check.Code != abci.CodeTypeOK {
		return &coretypes.ResultBroadcastTxCommit{CheckTx: *check, Hash: tx.Hash()}, nil
	}
	timer := time.NewTimer(r.cfg.TimeoutBroadcastTxCommit)
	defer timer.Stop()
	select {
	case msg := <-sub.Out():
		ev, ok := msg.Data().(types.EventDataTx)
		if !ok {
			return nil, fmt.Errorf("the Tx event carried %T", msg.Data())
		}
		return &coretypes.ResultBroadcastTxCommit{
			CheckTx: *check, TxResult: ev.Result, Hash: tx.Hash(), Height: ev.Height,
		}, nil
	case <-sub.Canceled():
		reason := "CometBFT exited"
		if sub.Err() != nil {
			reason = sub.Err().Error()
		}
		return &coretypes.ResultBroadcastTxCommit{CheckTx: *check, Hash: tx.Hash()},
			fmt.Errorf("txSub was canceled (reason: %s)", reason)
	case <-timer.C:
		return &coretypes.ResultBroadcastTxCommit{CheckTx: *check, Hash: tx.Hash()},
			errors.New("timed out waiting for tx to be included in a block")
	case <-ctx.Context().Done():
		return &coretypes.ResultBroadcastTxCommit{CheckTx: *check, Hash: tx.Hash()},
			fmt.Errorf("stopped waiting for tx to be included in a block: %w", ctx.Context().Err())
	}
}

func (r *routes) checkTx(ctx *rpctypes.Context, tx types.Tx) (*coretypes.ResultCheckTx, error) {
	res, err := r.env.App.CheckTx(ctx.Context(), &abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_New})
	if err != nil {
		return nil, err
	}
	return &coretypes.ResultCheckTx{ResponseCheckTx: *res}, nil
}

func (r *routes) unconfirmedTxs(_ *rpctypes.Context, limitPtr *int) (*coretypes.ResultUnconfirmedTxs, error) {
	txs := r.env.Mempool.Txs(perPage(limitPtr))
	return &coretypes.ResultUnconfirmedTxs{
		Count: len(txs), Total: r.env.Mempool.Size(), TotalBytes: r.env.Mempool.SizeBytes(), Txs: txs,
	}, nil
}

func (r *routes) numUnconfirmedTxs(*rpctypes.Context) (*coretypes.ResultUnconfirmedTxs, error) {
	n := r.env.Mempool.Size()
	return &coretypes.ResultUnconfirmedTxs{Count: n, Total: n, TotalBytes: r.env.Mempool.SizeBytes()}, nil
}

func (r *routes) unsafeFlushMempool(*rpctypes.Context) (*coretypes.ResultUnsafeFlushMempool, error) {
	if err := r.env.Mempool.Flush(); err != nil {
		return nil, fmt.Errorf("flushing the mempool: %w", err)
	}
	return &coretypes.ResultUnsafeFlushMempool{}, nil
}
