package pbft

import (
	"math"

	"github.com/bftnode/bftnode/consensus"
)

// The request timer [Castro-Liskov §4.4]: a backup that holds a request
// the primary does not execute in time suspects the primary and moves to
// the next view. The view-change timer alone cannot catch a primary that
// keeps proposing blocks but always leaves one chosen transaction out:
// every executed block re-arms it.
//
// The driver owns the mempool, so it tells the core, with every executed
// block, the oldest transaction it held that would have fit in the block
// and was left out (Executed.LeftOut). The timer runs while the same
// transaction keeps being left out of blocks it would have fit in, and
// stops as soon as one block includes it or has no room for it: a block
// full of older transactions is what an honest primary proposes under
// saturation, so time spent behind them does not count against the view.

// watchLeftOut runs the request timer on the transaction the block at
// height h left out (tx empty: none was). A replica still fetching blocks
// peers proved decided (h below fetchTo) does not judge the primary: its
// mempool holds transactions of blocks it has not executed yet.
func (c *Core) watchLeftOut(h int64, tx consensus.ID) {
	if c.cfg.RequestTimeout <= 0 || tx == "" || !c.active || !c.isValidator() || h < c.fetchTo {
		c.stopRequestTimer()
		return
	}
	if m := c.reqTimer; m.Armed && m.View == c.view && c.reqTx == tx {
		return // the same transaction is still waiting: the timer keeps running
	}
	d := c.cfg.RequestTimeout
	c.reqTx = tx
	c.reqTimer = timerMark{Armed: true, Height: h, View: c.view, After: d}
	c.emit(consensus.SetTimeout{Timeout: consensus.Timeout{Kind: consensus.TimeoutRequest, Height: h, Round: c.view}, After: d})
}

func (c *Core) stopRequestTimer() {
	c.reqTimer, c.reqTx = timerMark{}, ""
}

// onRequestTimeout starts a view change: the primary of this view left the
// same transaction out of every block it would have fit in for a whole
// request timeout [§4.4]. The new primary's first blocks include it, or
// its successor's request timer runs out in turn.
func (c *Core) onRequestTimeout(t consensus.Timeout) {
	m := c.reqTimer
	if !m.Armed || m.Height != t.Height || m.View != t.Round {
		return // stale: the transaction was included, or the view changed
	}
	c.stopRequestTimer()
	if !c.active || m.View != c.view || c.view == math.MaxInt32 {
		return
	}
	c.startViewChange(c.view + 1)
}
