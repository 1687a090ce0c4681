package bench

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Outcome of one broadcast.
const (
	stateSending  uint8 = iota // sent, no answer yet
	stateAcked                 // CheckTx accepted it (code 0)
	stateRejected              // CheckTx refused it (code != 0)
	stateRPCError              // the request failed (transport or JSON-RPC error)
)

// txRecord is what the run knows of one transaction. Times are offsets
// from the start of the run.
type txRecord struct {
	sent      time.Duration
	committed time.Duration // 0 until seen in a block
	state     uint8
	inBlock   bool
}

// ledger numbers the transactions of one run and remembers what happened
// to each. Transactions carry their number, so a committed block maps back
// to records without hashing: tx = "<prefix><seq>=<filler>".
type ledger struct {
	start  time.Time
	prefix []byte // "b<run id>-", unique per run so no tx repeats across runs

	mu       sync.Mutex
	recs     []txRecord
	errs     map[string]int // distinct refusal texts, counted
	pending  int            // acked but not yet seen in a block
	inflight int            // sent, no answer yet
	counts   counts
}

// counts are running totals for the progress line.
type counts struct {
	sent, acked, refused, failed, inBlocks int64
}

func newLedger(start time.Time) (*ledger, error) {
	var id [6]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("drawing a run id: %w", err)
	}
	return &ledger{start: start, prefix: []byte("b" + hex.EncodeToString(id[:]) + "-"), errs: map[string]int{}}, nil
}

// minTxSize is the smallest transaction size the encoding fits in with
// room for a billion transactions.
func (l *ledger) minTxSize() int { return len(l.prefix) + 10 + 2 }

// add records a transaction about to be sent and returns its number.
func (l *ledger) add(now time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, txRecord{sent: now.Sub(l.start)})
	l.inflight++
	l.counts.sent++
	return len(l.recs) - 1
}

// encode builds transaction seq padded with filler to size bytes.
func (l *ledger) encode(seq, size int) []byte {
	tx := make([]byte, 0, size)
	tx = append(tx, l.prefix...)
	tx = strconv.AppendInt(tx, int64(seq), 10)
	tx = append(tx, '=')
	for len(tx) < size {
		tx = append(tx, 'v')
	}
	return tx
}

// decode returns the number of a transaction of this run, or false for
// any other transaction (another run's, or another client's).
func (l *ledger) decode(tx []byte) (int, bool) {
	if !bytes.HasPrefix(tx, l.prefix) {
		return 0, false
	}
	rest := tx[len(l.prefix):]
	eq := bytes.IndexByte(rest, '=')
	if eq <= 0 || eq > 10 {
		return 0, false
	}
	n, err := strconv.Atoi(string(rest[:eq]))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// answer records the node's answer to transaction seq; detail is the
// refusal text for a rejected or failed broadcast.
func (l *ledger) answer(seq int, state uint8, detail string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := &l.recs[seq]
	if r.state != stateSending {
		return
	}
	r.state = state
	l.inflight--
	switch state {
	case stateAcked:
		l.counts.acked++
		if !r.inBlock {
			l.pending++
		}
	case stateRejected:
		l.counts.refused++
	case stateRPCError:
		l.counts.failed++
	}
	// Refusal texts are kept for the report, a bounded number of distinct ones.
	if detail != "" && (len(l.errs) < 20 || l.errs[detail] > 0) {
		l.errs[detail]++
	}
}

// commit records that the transactions of a block were seen at time at.
// It appends to lat the latencies in milliseconds of the acknowledged
// transactions of this run among them.
func (l *ledger) commit(txs [][]byte, at time.Time, lat []float64) []float64 {
	off := at.Sub(l.start)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, tx := range txs {
		seq, ok := l.decode(tx)
		if !ok || seq >= len(l.recs) {
			continue
		}
		r := &l.recs[seq]
		if r.inBlock {
			continue // a second inclusion would be the node's bug, not a second commit
		}
		r.inBlock, r.committed = true, off
		l.counts.inBlocks++
		if r.state == stateAcked {
			l.pending--
			lat = append(lat, float64(off-r.sent)/float64(time.Millisecond))
		}
	}
	return lat
}

func (l *ledger) totals() counts {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts
}

// unsettled is the number of acknowledged transactions not yet seen in a
// block plus those still waiting for an answer.
func (l *ledger) unsettled() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pending + l.inflight
}

// snapshot copies the records and refusal texts for analysis.
func (l *ledger) snapshot() ([]txRecord, map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	errs := make(map[string]int, len(l.errs))
	for k, v := range l.errs {
		errs[k] = v
	}
	return append([]txRecord(nil), l.recs...), errs
}
