package engine

import "testing"

func TestCommitInterruptedOnlyWhenTheAppReportsAnUnconfirmedLatestHeight(t *testing.T) {
	cases := []struct {
		name                         string
		app, store, state, committed int64
		sameHash, want               bool
	}{
		{"commit never confirmed", 7, 7, 7, 6, true, true},
		{"commit confirmed", 7, 7, 7, 7, true, false},
		{"app behind: replay instead", 6, 7, 7, 6, true, false},
		{"app hash differs: a real divergence", 7, 7, 7, 6, false, false},
		{"fresh app", 0, 0, 0, 0, true, false},
		{"state behind the store: execute the stored block", 7, 7, 6, 6, true, false},
	}
	for _, c := range cases {
		if got := commitInterrupted(c.app, c.store, c.state, c.committed, c.sameHash); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
