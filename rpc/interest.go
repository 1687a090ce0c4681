package rpc

import (
	"sync"
	"sync/atomic"

	cmtpubsub "github.com/cometbft/cometbft/libs/pubsub"
	"github.com/cometbft/cometbft/libs/pubsub/query"
	"github.com/cometbft/cometbft/libs/pubsub/query/syntax"
	"github.com/cometbft/cometbft/types"
)

// TxInterest counts the subscriptions that may receive Tx events, so that
// the node skips building a block's Tx events (one per transaction, the
// most expensive events to publish) when nobody could receive them.
// Every subscription the routes make is counted from before it is made
// until it has ended, so a Tx event is never skipped while a subscription
// that wants it exists.
type TxInterest struct {
	n atomic.Int64
}

// NewTxInterest returns a counter with no subscriptions.
func NewTxInterest() *TxInterest { return &TxInterest{} }

// Wanted tells whether some subscription may receive Tx events. A nil
// TxInterest wants them all.
func (t *TxInterest) Wanted() bool { return t == nil || t.n.Load() > 0 }

// track counts a subscription to q, if it may receive Tx events, until the
// returned release is called (any number of times).
func (t *TxInterest) track(q cmtpubsub.Query) (release func()) {
	if t == nil || !mayMatchTx(q) {
		return func() {}
	}
	t.n.Add(1)
	var once sync.Once
	return func() { once.Do(func() { t.n.Add(-1) }) }
}

// mayMatchTx is false only for a query that asks for another event type
// than Tx (tm.event = '...').
func mayMatchTx(pq cmtpubsub.Query) bool {
	q, ok := pq.(*query.Query)
	if !ok {
		return true
	}
	for _, c := range q.Syntax() {
		if c.Tag == types.EventTypeKey && c.Op == syntax.TEq && c.Arg != nil &&
			c.Arg.Type == syntax.TString && c.Arg.Value() != types.EventTx {
			return false
		}
	}
	return true
}
