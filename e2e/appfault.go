package e2e

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// appVictim is the validator whose application misbehaves.
const appVictim = 2

// appFaults makes the victim's application fail three ways in turn, a few
// blocks ahead: exit in the middle of FinalizeBlock, answer with the wrong
// number of transaction results, return an application hash no other
// replica computes. Each time the node must halt with a message saying
// what the application did, while the others keep committing; then it
// restarts on a healthy application and catches up.
func appFaults(ctx context.Context, e *Env) error {
	faults := []struct{ flag, message string }{
		{"--exit-in-finalize", "the application failed"},
		{"--wrong-results", "FinalizeBlock"},
		{"--bad-app-hash", "app hash"},
	}
	if !e.Long && e.Protocol == "pbft" {
		faults = faults[1:2]
	} else if !e.Long {
		faults = []struct{ flag, message string }{faults[0], faults[2]}
	}
	for _, f := range faults {
		if err := appFault(ctx, e, f.flag, f.message); err != nil {
			return err
		}
	}
	e.Healed()
	return nil
}

func appFault(ctx context.Context, e *Env, flag, message string) error {
	h, err := e.C.Height(ctx, 0)
	if err != nil {
		return err
	}
	at := h + 4
	if err := e.C.Stop(appVictim); err != nil {
		return err
	}
	e.C.KillApp(appVictim)
	e.C.Nodes[appVictim].AppArgs = []string{flag, fmt.Sprint(at)}
	if err := e.C.Start(appVictim); err != nil {
		return err
	}
	e.C.Nodes[appVictim].AppArgs = nil
	e.Fault("app of node %d: %s %d", appVictim, flag, at)
	select {
	case <-e.C.Exited(appVictim):
	case <-time.After(e.Dur(90*time.Second, 45*time.Second)):
		return violation("node %d kept running on an app that %s at height %d", appVictim, strings.TrimPrefix(flag, "--"), at)
	case <-ctx.Done():
		return ctx.Err()
	}
	tail := e.C.LogTail(appVictim, 3000)
	status := e.C.ExitStatus(appVictim)
	e.C.Reap(appVictim)
	if !strings.Contains(strings.ToLower(tail), strings.ToLower(message)) {
		return violation("node %d halted on an app that %s without saying so (%s):\n%s", appVictim, strings.TrimPrefix(flag, "--"), status, tail)
	}
	e.Note("node %d halted (%s) on %s %d: %s", appVictim, status, flag, at, lastErrorLine(tail))
	if err := waitHeight(ctx, e.C, 0, at+2, 60*time.Second); err != nil {
		return violation("the other validators stopped committing while node %d's app failed: %v", appVictim, err)
	}
	e.C.KillApp(appVictim)
	if flag != "--bad-app-hash" {
		return e.restartVictim(ctx, appVictim, "on a healthy app after "+flag)
	}
	return e.restartAfterDivergence(ctx)
}

// restartAfterDivergence restarts the node whose app returned a wrong app
// hash. Its stores hold that hash, so on a healthy app it must refuse to
// start, saying the app's state diverged; after unsafe-reset-all it
// syncs the chain from its peers.
func (e *Env) restartAfterDivergence(ctx context.Context) error {
	if err := e.C.Start(appVictim); err != nil {
		return err
	}
	top, err := e.C.Height(ctx, 0)
	if err != nil {
		return err
	}
	if waitHeightOrExit(ctx, e.C, appVictim, top, 60*time.Second) == nil {
		return nil
	}
	tail := e.C.LogTail(appVictim, 3000)
	if e.C.Running(appVictim) || !strings.Contains(tail, "app hash") {
		return violation("node %d neither caught up nor refused to start on a healthy app after a diverged app hash:\n%s", appVictim, tail)
	}
	e.C.Reap(appVictim)
	e.Note("node %d refused to start on its stores after the divergence: %s", appVictim, lastErrorLine(tail))
	if err := e.C.ResetAll(appVictim); err != nil {
		return err
	}
	e.C.KillApp(appVictim)
	return e.restartVictim(ctx, appVictim, "after unsafe-reset-all")
}

// restartVictim starts node i (and a fresh app) and waits until it
// catches up with validator 0.
func (e *Env) restartVictim(ctx context.Context, i int, what string) error {
	if err := e.C.Start(i); err != nil {
		return err
	}
	top, err := e.C.Height(ctx, 0)
	if err != nil {
		return err
	}
	if err := waitHeight(ctx, e.C, i, top, 90*time.Second); err != nil {
		status := e.C.ExitStatus(i)
		return violation("node %d did not catch up %s (%s): %v\n%s", i, what, status, err, e.C.LogTail(i, 2000))
	}
	return nil
}
