package bench

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"
	"time"
)

// settlePoll is how often the grace period checks whether every
// acknowledged transaction has committed.
const settlePoll = 50 * time.Millisecond

// runner is one run in progress.
type runner struct {
	cfg    Config
	client *rpcClient
	led    *ledger
	next   atomic.Uint64 // round robin over endpoints
	blocks atomic.Int64
	// recent holds the latencies of the commits since the last progress
	// line.
	recentMu sync.Mutex
	recent   []float64
	// proposers are the blocks' proposers, under recentMu: under PBFT
	// one proposer means the view never changed.
	proposers map[string]bool
}

// Run drives the load described by cfg and reports what it measured. It
// returns an error only when the run could not take place (bad config, no
// node answering); refusals and losses are results.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("invalid benchmark config: %w", err)
	}
	client := newRPCClient(cfg.Senders, cfg.RequestTimeout)
	defer client.close()
	startCtx, cancel := context.WithTimeout(ctx, cfg.RequestTimeout)
	height, err := client.latestHeight(startCtx, cfg.Endpoints[0])
	cancel()
	if err != nil {
		return nil, fmt.Errorf("asking %s for its status (is the node running?): %w", cfg.Endpoints[0], err)
	}
	start := time.Now()
	led, err := newLedger(start)
	if err != nil {
		return nil, err
	}
	if cfg.TxSize < led.minTxSize() {
		return nil, fmt.Errorf("tx size %d is too small: transactions need at least %d bytes to be unique", cfg.TxSize, led.minTxSize())
	}
	r := &runner{cfg: cfg, client: client, led: led}

	followCtx, stopFollowing := context.WithCancel(ctx)
	fol := newFollower(client, cfg.Endpoints[0], height+1, r.onBlock)
	followed := make(chan struct{})
	go func() { fol.run(followCtx); close(followed) }()
	defer func() { stopFollowing(); <-followed }()

	cpuStart, cpuErr := readCPU(cfg.NetworkCPU)
	r.sendFor(ctx, start, fol)
	var cpu *CPUUse
	if cpuErr == nil {
		var cpuEnd cpuReading
		if cpuEnd, cpuErr = readCPU(cfg.NetworkCPU); cpuErr == nil {
			cpu = cpuEnd.since(cpuStart)
		}
	}
	r.settle(ctx, start, fol)
	stopFollowing()
	<-followed

	recs, refusals := led.snapshot()
	res := &Result{
		System: cfg.System, Workload: cfg.Workload, Started: start,
		Endpoints: cfg.Endpoints, Senders: cfg.Senders, TxSize: cfg.TxSize, Rate: cfg.Rate,
		DurationSec: cfg.Duration.Seconds(), GraceSec: cfg.Grace.Seconds(),
		Blocks: r.blocks.Load(), Refusals: refusals, CPU: cpu,
		Proposers: len(r.proposers),
	}
	if cpuErr != nil {
		res.CPUError = cpuErr.Error()
	}
	if e, ok := fol.lastErr.Load().(string); ok {
		res.FollowError = e
	}
	analyse(res, recs, cfg.Duration)
	if res.Blocks > 0 {
		res.TxsPerBlock = float64(res.Committed+res.CommittedUnacked) / float64(res.Blocks)
	}
	return res, ctx.Err()
}

// onBlock is the follower's delivery: it settles the block's
// transactions of this run.
func (r *runner) onBlock(_ int64, proposer string, txs [][]byte, at time.Time) {
	r.blocks.Add(1)
	r.recentMu.Lock()
	if r.proposers == nil {
		r.proposers = map[string]bool{}
	}
	r.proposers[proposer] = true
	r.recent = r.led.commit(txs, at, r.recent)
	r.recentMu.Unlock()
}

// sendFor runs the senders for the send window, with a progress line.
func (r *runner) sendFor(ctx context.Context, start time.Time, fol *follower) {
	window, cancel := context.WithDeadline(ctx, start.Add(r.cfg.Duration))
	defer cancel()
	var tokens chan struct{}
	if r.cfg.Rate > 0 {
		tokens = make(chan struct{}, r.cfg.Senders)
		go pace(window, r.cfg.Rate, tokens)
	}
	var wg sync.WaitGroup
	for i := 0; i < r.cfg.Senders; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.send(ctx, window, tokens)
		}()
	}
	p := newProgress(r, start, fol)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	sent := make(chan struct{})
	go func() { wg.Wait(); close(sent) }()
	for {
		select {
		case <-sent:
			return
		case <-tick.C:
			p.print("sending")
		}
	}
}

// send broadcasts transactions until the window closes. A broadcast in
// flight when it closes runs to its answer (or its timeout) under ctx, so
// that its outcome is known.
func (r *runner) send(ctx, window context.Context, tokens <-chan struct{}) {
	conns := newSenderConns(r.cfg.RequestTimeout)
	defer conns.close()
	for window.Err() == nil {
		if tokens != nil {
			select {
			case <-tokens:
			case <-window.Done():
				return
			}
		}
		seq := r.led.add(time.Now())
		tx := r.led.encode(seq, r.cfg.TxSize)
		ep := r.cfg.Endpoints[r.next.Add(1)%uint64(len(r.cfg.Endpoints))]
		res, err := r.broadcast(ctx, conns, ep, tx)
		switch {
		case err != nil:
			r.led.answer(seq, stateRPCError, normalise(err.Error()))
		case res.Code != 0:
			r.led.answer(seq, stateRejected, normalise(fmt.Sprintf("CheckTx code %d: %s", res.Code, res.Log)))
		default:
			r.led.answer(seq, stateAcked, "")
		}
	}
}

// broadcast sends tx to ep on the sender's own connection, or through the
// shared client for an endpoint that connection cannot serve (https).
func (r *runner) broadcast(ctx context.Context, conns *senderConns, ep string, tx []byte) (broadcastResult, error) {
	if c := conns.get(ep); c != nil {
		return c.broadcastTxSync(tx)
	}
	reqCtx, cancel := context.WithTimeout(ctx, r.cfg.RequestTimeout)
	defer cancel()
	return r.client.broadcastTxSync(reqCtx, ep, tx)
}

// digits are replaced in refusal texts so that "mempool is full: 5000
// txs" and "... 4999 txs" count as one kind of refusal.
var digits = regexp.MustCompile(`[0-9]+`)

func normalise(s string) string {
	if len(s) > 300 {
		s = s[:300]
	}
	return digits.ReplaceAllString(s, "N")
}

// pace issues tokens at rate per second until ctx ends. Tokens that find
// every sender busy are dropped, so a slow node sees the offered rate fall
// rather than a burst later.
func pace(ctx context.Context, rate float64, tokens chan<- struct{}) {
	tick := time.NewTicker(min(5*time.Millisecond, time.Duration(float64(time.Second)/rate)))
	defer tick.Stop()
	start := time.Now()
	var issued int64
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			due := int64(rate * now.Sub(start).Seconds())
			for ; issued < due; issued++ {
				select {
				case tokens <- struct{}{}:
				default:
				}
			}
		}
	}
}

// settle keeps following blocks after the send window until every
// acknowledged transaction committed or the grace period ends.
func (r *runner) settle(ctx context.Context, start time.Time, fol *follower) {
	deadline := time.Now().Add(r.cfg.Grace)
	p := newProgress(r, start, fol)
	lastPrint := time.Now()
	for r.led.unsettled() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(settlePoll):
		}
		if time.Since(lastPrint) >= time.Second {
			p.print("settling")
			lastPrint = time.Now()
		}
	}
	p.done()
}
