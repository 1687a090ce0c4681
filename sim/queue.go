package sim

import (
	"container/heap"
	"time"
)

// event is something that happens at a virtual time. Events at the same
// time run in the order they were scheduled (seq), which keeps runs
// deterministic.
type event struct {
	at  time.Duration
	seq uint64
	run func()
}

// eventQueue is a min-heap of events ordered by (at, seq).
type eventQueue struct {
	items []event
	seq   uint64
}

func (q *eventQueue) Len() int { return len(q.items) }
func (q *eventQueue) Less(i, j int) bool {
	a, b := q.items[i], q.items[j]
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}
func (q *eventQueue) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }
func (q *eventQueue) Push(x any)    { q.items = append(q.items, x.(event)) }
func (q *eventQueue) Pop() any {
	last := q.items[len(q.items)-1]
	q.items[len(q.items)-1] = event{}
	q.items = q.items[:len(q.items)-1]
	return last
}

// schedule adds fn to run at time at.
func (q *eventQueue) schedule(at time.Duration, fn func()) {
	q.seq++
	heap.Push(q, event{at: at, seq: q.seq, run: fn})
}

// next removes and returns the earliest event.
func (q *eventQueue) next() (event, bool) {
	if len(q.items) == 0 {
		return event{}, false
	}
	return heap.Pop(q).(event), true
}
