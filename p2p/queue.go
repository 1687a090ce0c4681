package p2p

import "sync"

// sendQueue holds the messages waiting to go to one peer: one bounded FIFO
// lane per channel, drained in channel priority order.
type sendQueue struct {
	mu     sync.Mutex
	lanes  []lane // in priority order
	closed bool
	// ready holds a token while messages wait, so the writer can sleep on
	// it without polling.
	ready chan struct{}
}

// lane is a ring buffer of the messages of one channel.
type lane struct {
	ch   byte
	buf  [][]byte
	head int
	n    int
}

func newSendQueue(specs []ChannelSpec) *sendQueue {
	q := &sendQueue{lanes: make([]lane, len(specs)), ready: make(chan struct{}, 1)}
	for i, s := range specs {
		q.lanes[i] = lane{ch: s.ID, buf: make([][]byte, s.QueueSize)}
	}
	return q
}

// push queues msg on the lane at index i. It never blocks: it reports false
// when the lane is full or the queue closed.
func (q *sendQueue) push(i int, msg []byte) bool {
	q.mu.Lock()
	l := &q.lanes[i]
	if q.closed || l.n == len(l.buf) {
		q.mu.Unlock()
		return false
	}
	l.buf[(l.head+l.n)%len(l.buf)] = msg
	l.n++
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return true
}

// pop takes the oldest message of the highest-priority non-empty lane.
func (q *sendQueue) pop() (ch byte, msg []byte, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range q.lanes {
		l := &q.lanes[i]
		if l.n == 0 {
			continue
		}
		msg = l.buf[l.head]
		l.buf[l.head] = nil
		l.head = (l.head + 1) % len(l.buf)
		l.n--
		return l.ch, msg, true
	}
	return 0, nil, false
}

// close drops what is queued and refuses further messages.
func (q *sendQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	for i := range q.lanes {
		l := &q.lanes[i]
		clear(l.buf)
		l.head, l.n = 0, 0
	}
}

// lengths reports how many messages wait on each lane.
func (q *sendQueue) lengths() map[byte]int {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make(map[byte]int, len(q.lanes))
	for _, l := range q.lanes {
		out[l.ch] = l.n
	}
	return out
}
