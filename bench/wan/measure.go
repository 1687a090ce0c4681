package wan

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// maxCommitsChecked bounds how many blocks' LastCommits are read.
const maxCommitsChecked = 300

// fullCommits reads the blocks of heights (from, to] from endpoint (the
// newest maxCommitsChecked of them) and counts those whose LastCommit
// carries a signature of every validator: with every validator live,
// what issue 22 asks to be at least 99%.
func fullCommits(ctx context.Context, endpoint string, from, to int64) (full, checked int, err error) {
	from = max(from, to-maxCommitsChecked, 1) // block 1 has no LastCommit
	for h := from + 1; h <= to; h++ {
		b, err := getBlock(ctx, endpoint, h)
		if err != nil {
			return full, checked, err
		}
		signed, of := b.signers()
		if of == 0 {
			continue
		}
		checked++
		if signed == of {
			full++
		}
	}
	return full, checked, nil
}

// heightSeries records when a node's height grew: times[i] is when
// heights[i] was first seen.
type heightSeries struct {
	times   []time.Time
	heights []int64
}

func (s *heightSeries) note(at time.Time, h int64) {
	if n := len(s.heights); n == 0 || h > s.heights[n-1] {
		s.times = append(s.times, at)
		s.heights = append(s.heights, h)
	}
}

// blocksAfter counts the heights gained after t.
func (s *heightSeries) blocksAfter(t time.Time) int64 {
	var base int64 = -1
	for i, at := range s.times {
		if !at.After(t) {
			base = s.heights[i]
		}
	}
	if base < 0 || len(s.heights) == 0 {
		return 0
	}
	return s.heights[len(s.heights)-1] - base
}

// longestGap is the longest time the height stood still between after
// and end: between two growths, or from the last growth to end.
func (s *heightSeries) longestGap(after, end time.Time) time.Duration {
	var longest time.Duration
	last := after
	for _, at := range s.times {
		if !at.After(after) {
			continue
		}
		longest = max(longest, at.Sub(last))
		last = at
	}
	return max(longest, end.Sub(last))
}

// medianInterval is the median time between growths before t.
func (s *heightSeries) medianInterval(before time.Time) time.Duration {
	var gaps []time.Duration
	for i := 1; i < len(s.times) && !s.times[i].After(before); i++ {
		gaps = append(gaps, s.times[i].Sub(s.times[i-1]))
	}
	if len(gaps) == 0 {
		return 0
	}
	slices.Sort(gaps)
	return gaps[len(gaps)/2]
}

// pollHeights samples endpoint's height every interval until ctx ends or
// stop returns true.
func pollHeights(ctx context.Context, endpoint string, interval time.Duration, s *heightSeries, stop func() bool) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var lastErr error
	for !stop() {
		if st, err := getStatus(ctx, endpoint); err == nil {
			if h, err := st.height(); err == nil {
				s.note(time.Now(), h)
			}
		} else {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	if len(s.heights) == 0 && lastErr != nil {
		return fmt.Errorf("no height read: %w", lastErr)
	}
	return nil
}
