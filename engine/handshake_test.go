package engine

import (
	"context"
	"log/slog"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"

	"github.com/bftnode/bftnode/store"
)

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

// countingApp counts Commit calls; the other methods are never called.
type countingApp struct {
	App
	commits int
}

func (a *countingApp) Commit(context.Context) (*abcitypes.ResponseCommit, error) {
	a.commits++
	return &abcitypes.ResponseCommit{}, nil
}

// A node stopped after sending Commit must not send a second one at
// restart (an app that follows ABCI refuses it); a node stopped before
// sending it must, for apps that report a height once FinalizeBlock ran.
func TestInterruptedCommitIsSentAgainOnlyIfItNeverLeft(t *testing.T) {
	for _, c := range []struct {
		name    string
		sent    int64
		commits int
	}{
		{"stopped before sending Commit", 6, 1},
		{"stopped after sending Commit", 7, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			ss, err := store.OpenStateStore(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer ss.Close()
			if err := ss.SaveAppCommitted(6); err != nil {
				t.Fatal(err)
			}
			if err := ss.SaveCommitSent(c.sent); err != nil {
				t.Fatal(err)
			}
			app := &countingApp{}
			hash := []byte{1, 2, 3}
			e := &Engine{log: slog.New(slog.DiscardHandler), p: Parts{States: ss, App: app}}
			e.state.LastBlockHeight, e.state.AppHash = 7, hash
			if err := e.completeInterruptedCommit(context.Background(), 7, 7, hash); err != nil {
				t.Fatal(err)
			}
			if app.commits != c.commits {
				t.Errorf("%d Commits sent, want %d", app.commits, c.commits)
			}
			if got, err := ss.LastAppCommitted(); err != nil || got != 7 {
				t.Errorf("recorded app commit %d (%v), want 7", got, err)
			}
		})
	}
}
