package rpc

import (
	"context"
	"errors"
	"fmt"
	"time"

	cmtpubsub "github.com/cometbft/cometbft/libs/pubsub"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	"github.com/cometbft/cometbft/types"
)

const (
	// subscriptionBuffer is how many events a subscription holds for a
	// client that has not taken them yet (CometBFT's default); beyond it
	// the client is too slow and is disconnected.
	subscriptionBuffer = 200
	// eventWriteTimeout bounds the wait for room in a connection's write
	// queue.
	eventWriteTimeout = 10 * time.Second
)

// checkSubscriptionLimits applies max_subscription_clients and
// max_subscriptions_per_client before a new subscription.
func (r *routes) checkSubscriptionLimits(subscriber string) error {
	if n := r.cfg.MaxSubscriptionClients; r.env.EventBus.NumClients() >= n {
		return fmt.Errorf("max_subscription_clients %d reached", n)
	}
	if n := r.cfg.MaxSubscriptionsPerClient; r.env.EventBus.NumClientSubscriptions(subscriber) >= n {
		return fmt.Errorf("max_subscriptions_per_client %d reached", n)
	}
	return nil
}

func (r *routes) subscribe(ctx *rpctypes.Context, q string) (*coretypes.ResultSubscribe, error) {
	addr := ctx.RemoteAddr()
	if err := r.checkSubscriptionLimits(addr); err != nil {
		return nil, err
	}
	if len(q) > maxQueryLength {
		return nil, errors.New("maximum query length exceeded")
	}
	parsed, err := parseQuery(q)
	if err != nil {
		return nil, fmt.Errorf("failed to parse query: %w", err)
	}
	subCtx, cancel := context.WithTimeout(ctx.Context(), subscribeTimeout)
	defer cancel()
	release := r.env.TxInterest.track(parsed)
	sub, err := r.env.EventBus.Subscribe(subCtx, addr, parsed, subscriptionBuffer)
	if err != nil {
		release()
		return nil, err
	}
	r.logger.Info("subscribed", "remote", addr, "query", q)
	go func() {
		defer release()
		r.forwardEvents(ctx, q, sub)
	}()
	return &coretypes.ResultSubscribe{}, nil
}

// forwardEvents writes a subscription's events to its websocket connection
// until it ends. A client that does not keep up is told why and
// disconnected, which ends all its subscriptions.
func (r *routes) forwardEvents(ctx *rpctypes.Context, q string, sub types.Subscription) {
	id := ctx.JSONReq.ID
	addr := ctx.RemoteAddr()
	for {
		select {
		case msg := <-sub.Out():
			resp := rpctypes.NewRPCSuccessResponse(id, &coretypes.ResultEvent{Query: q, Data: msg.Data(), Events: msg.Events()})
			if err := writeEvent(ctx.WSConn, sub, resp); err != nil {
				r.logger.Info("disconnecting a websocket client that does not read its events", "remote", addr, "err", err)
				r.conns.disconnect(addr)
				return
			}
		case <-sub.Canceled():
			err := sub.Err()
			if errors.Is(err, cmtpubsub.ErrUnsubscribed) {
				return
			}
			reason := "CometBFT exited"
			if err != nil {
				reason = err.Error()
			}
			ctx.WSConn.TryWriteRPCResponse(rpctypes.RPCServerError(id, fmt.Errorf("subscription was canceled (reason: %s)", reason)))
			if errors.Is(err, cmtpubsub.ErrOutOfCapacity) {
				r.logger.Info("disconnecting a websocket client that does not read its events", "remote", addr)
				r.conns.disconnect(addr)
			}
			return
		}
	}
}

// writeEvent queues resp on the connection, waiting for room at most
// eventWriteTimeout and not at all once the subscription is cancelled (its
// buffer overflowed while the connection was full).
func writeEvent(conn rpctypes.WSRPCConnection, sub types.Subscription, resp rpctypes.RPCResponse) error {
	if conn.TryWriteRPCResponse(resp) {
		return nil
	}
	wctx, cancel := context.WithTimeout(context.Background(), eventWriteTimeout)
	defer cancel()
	go func() {
		select {
		case <-sub.Canceled():
			cancel()
		case <-wctx.Done():
		}
	}()
	return conn.WriteRPCResponse(wctx, resp)
}

func (r *routes) unsubscribe(ctx *rpctypes.Context, q string) (*coretypes.ResultUnsubscribe, error) {
	parsed, err := parseQuery(q)
	if err != nil {
		return nil, fmt.Errorf("failed to parse query: %w", err)
	}
	if err := r.env.EventBus.Unsubscribe(context.Background(), ctx.RemoteAddr(), parsed); err != nil {
		return nil, err
	}
	return &coretypes.ResultUnsubscribe{}, nil
}

func (r *routes) unsubscribeAll(ctx *rpctypes.Context) (*coretypes.ResultUnsubscribe, error) {
	if err := r.env.EventBus.UnsubscribeAll(context.Background(), ctx.RemoteAddr()); err != nil {
		return nil, err
	}
	return &coretypes.ResultUnsubscribe{}, nil
}
