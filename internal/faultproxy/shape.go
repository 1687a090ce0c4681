package faultproxy

import (
	"fmt"
	"math/rand/v2"
	"net"
	"time"
)

// Shape is what one direction of a link does to the bytes crossing it: a
// wide-area link emulated in user space, since kernel emulation (netem) is
// not available everywhere.
type Shape struct {
	// Delay is the one-way propagation delay: half the round trip of a
	// symmetric link.
	Delay time.Duration
	// Jitter varies each chunk's delay uniformly within ±Jitter. A chunk
	// is never delivered before the one read before it, so jitter delays
	// bursts without reordering a connection's bytes (TCP does not
	// reorder what it delivers either).
	Jitter time.Duration
	// Bandwidth is the link's rate in bytes per second; 0 is unlimited. A
	// chunk leaves the link no sooner than the previous one finished
	// transmitting plus its own size at this rate, then travels Delay.
	Bandwidth int64
}

// IsZero reports whether the shape forwards bytes untouched.
func (s Shape) IsZero() bool { return s == Shape{} }

func (s Shape) String() string {
	if s.IsZero() {
		return "unshaped"
	}
	out := fmt.Sprintf("delay %v ±%v", s.Delay, s.Jitter)
	if s.Bandwidth > 0 {
		out += fmt.Sprintf(", %.1f Mbit/s", float64(s.Bandwidth)*8/1e6)
	}
	return out
}

// Validate says what is wrong with s, naming the field.
func (s Shape) Validate() error {
	switch {
	case s.Delay < 0:
		return fmt.Errorf("shape: Delay is %v; want 0 or more", s.Delay)
	case s.Jitter < 0 || s.Jitter > s.Delay:
		return fmt.Errorf("shape: Jitter is %v; want 0 to Delay (%v), so no chunk arrives before it was sent", s.Jitter, s.Delay)
	case s.Bandwidth < 0:
		return fmt.Errorf("shape: Bandwidth is %d bytes/s; want 0 (unlimited) or more", s.Bandwidth)
	}
	return nil
}

// Bounds of a shaped direction's queue: at most queueChunks chunks of at
// most chunkSize bytes are in flight. When the queue is full the proxy
// stops reading, so the sender feels TCP's own back-pressure rather than
// the proxy buffering without limit.
const (
	queueChunks = 256
	chunkSize   = 16 << 10
)

// chunk is bytes read from one side, due at the other at a time.
type chunk struct {
	data []byte
	due  time.Time
}

// schedule computes when chunks of a direction are due. It is not safe
// for concurrent use: each direction has its own.
type schedule struct {
	shape   Shape
	rng     *rand.Rand
	sentEnd time.Time // when the previous chunk finished transmitting
	lastDue time.Time // when the previous chunk is due at the far end
}

func newSchedule(s Shape, seed uint64) *schedule {
	return &schedule{shape: s, rng: rand.New(rand.NewPCG(seed, seed^0x6a09e667f3bcc909))}
}

// due is when n bytes read at now reach the far end: after the bytes
// ahead of them have been transmitted, their own transmission time, the
// delay and a jitter; never before the previous chunk.
func (s *schedule) due(now time.Time, n int) time.Time {
	start := now
	if s.sentEnd.After(start) {
		start = s.sentEnd
	}
	end := start
	if s.shape.Bandwidth > 0 {
		end = start.Add(time.Duration(float64(n) / float64(s.shape.Bandwidth) * float64(time.Second)))
	}
	s.sentEnd = end
	d := s.shape.Delay
	if j := s.shape.Jitter; j > 0 {
		d += time.Duration(s.rng.Int64N(2*int64(j)+1)) - j
	}
	at := end.Add(d)
	if at.Before(s.lastDue) {
		at = s.lastDue
	}
	s.lastDue = at
	return at
}

// shapedPipe copies src to dst through a delay queue: a reader stamps
// each chunk with its due time and a writer delivers the chunks in order
// when due, so a slow link delays bytes without reordering them. When src
// ends, what is queued is still delivered before the pipe returns.
func (p *Proxy) shapedPipe(dst, src net.Conn, s Shape, seed uint64) {
	q := make(chan chunk, queueChunks)
	written := make(chan struct{})
	go func() {
		defer close(written)
		p.deliver(dst, q)
	}()
	defer func() { close(q); <-written }()
	sched := newSchedule(s, seed)
	for {
		buf := make([]byte, chunkSize)
		n, err := src.Read(buf)
		if n > 0 {
			switch p.Mode() {
			case Pass:
				q <- chunk{data: buf[:n], due: sched.due(time.Now(), n)}
			case Blackhole:
				p.dropped.Add(int64(n))
			case Cut:
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// deliver writes each queued chunk to dst when it is due. After a failed
// write it keeps draining the queue, so the reader never blocks on a
// writer that is gone.
func (p *Proxy) deliver(dst net.Conn, q <-chan chunk) {
	failed := false
	for c := range q {
		if failed {
			continue
		}
		if wait := time.Until(c.due); wait > 0 {
			time.Sleep(wait)
		}
		if p.Mode() != Pass {
			p.dropped.Add(int64(len(c.data)))
			continue
		}
		if _, err := dst.Write(c.data); err != nil {
			failed = true
			_ = dst.Close() // the other direction's reader sees the failure and ends the connection
			continue
		}
		p.forwarded.Add(int64(len(c.data)))
	}
}
