package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/bftnode/bftnode/internal/failpoint"
)

// crashVictim is the validator the crash scenarios crash.
const crashVictim = 1

// crashHit is which hit of each crash point crashes the node: late enough
// that the node is in the middle of its work, soon enough to come quickly.
var crashHit = map[string]int64{
	failpoint.WALAppend: 40, failpoint.WALBeforeFsync: 15, failpoint.WALAfterFsync: 15,
	failpoint.SignedBeforeLogged: 10,
}

// shortCrashPoints split the crash points between the protocols in the
// short suite; the long suite crashes each protocol at every point.
var shortCrashPoints = map[string][]string{
	"tendermint": {failpoint.WALBeforeFsync, failpoint.SignedBeforeLogged, failpoint.ExecFinalized,
		failpoint.ExecSavedState, failpoint.WALResetRenamed, failpoint.WALResetSynced},
	"pbft": {failpoint.WALAppend, failpoint.WALAfterFsync, failpoint.ExecSavedBlock,
		failpoint.ExecSavedState, failpoint.ExecAppCommitted, failpoint.WALResetTemp},
}

// crashPoints restarts the victim with each crash point armed in turn,
// waits for the crash, restarts it clean and waits for it to catch up.
func crashPoints(ctx context.Context, e *Env) error {
	points := failpoint.All
	if !e.Long {
		points = shortCrashPoints[e.Protocol]
	}
	for _, point := range points {
		if err := crashAt(ctx, e, point); err != nil {
			return err
		}
	}
	e.Healed()
	return nil
}

func crashAt(ctx context.Context, e *Env, point string) error {
	hit := crashHit[point]
	if hit == 0 {
		hit = 3
	}
	spec := failpoint.Spec{Name: point, After: hit}
	if err := e.C.Stop(crashVictim); err != nil {
		return err
	}
	e.C.Nodes[crashVictim].Env = []string{failpoint.EnvVar + "=" + spec.String()}
	if err := e.startNode(ctx, crashVictim); err != nil {
		return err
	}
	e.C.Nodes[crashVictim].Env = nil
	select {
	case <-e.C.Exited(crashVictim):
		e.Fault("crash at %s", spec)
		if st := e.C.ExitStatus(crashVictim); st != "signal: killed" {
			return violation("node %d armed with %s ended with %q, not the crash point's SIGKILL", crashVictim, spec, st)
		}
	case <-time.After(e.Dur(60*time.Second, 30*time.Second)):
		e.Note("crash point %s not reached within the wait; node stopped instead", spec)
		if err := e.C.Stop(crashVictim); err != nil {
			return err
		}
	case <-ctx.Done():
		return ctx.Err()
	}
	e.C.Reap(crashVictim)
	return e.restartAndCatchUp(ctx, "after "+spec.String())
}

// restartAndCatchUp starts the victim and waits until it reaches the height
// validator 0 had at the restart.
func (e *Env) restartAndCatchUp(ctx context.Context, what string) error {
	if err := e.startNode(ctx, crashVictim); err != nil {
		return err
	}
	top, err := e.C.Height(ctx, 0)
	if err != nil {
		return err
	}
	if err := waitHeight(ctx, e.C, crashVictim, top, 60*time.Second); err != nil {
		if !e.C.Running(crashVictim) {
			return violation("node %d did not restart %s: %s\n%s", crashVictim, what, e.C.ExitStatus(crashVictim), e.C.LogTail(crashVictim, 2000))
		}
		return violation("node %d did not catch up to height %d %s: %v", crashVictim, top, what, err)
	}
	return nil
}

// walSegments lists the victim's write-ahead log segments, oldest first.
func (e *Env) walSegments() ([]string, error) {
	files, err := filepath.Glob(filepath.Join(e.C.Nodes[crashVictim].Home, "data", "cs.wal", "*.wal"))
	sort.Strings(files)
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("node %d has no write-ahead log segment", crashVictim)
	}
	return files, err
}

// tornTails kills the victim, cuts 0–1 MiB off the end of its log and
// restarts it, several times: it must cut the torn record, or refuse to
// start with a clear message, and never sign conflicting votes.
func tornTails(ctx context.Context, e *Env) error {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	for k := 0; k < map[bool]int{true: 8, false: 2}[e.Long]; k++ {
		if err := Sleep(ctx, 2*time.Second); err != nil {
			return err
		}
		if err := e.C.Kill(crashVictim); err != nil {
			return err
		}
		segs, err := e.walSegments()
		if err != nil {
			return err
		}
		last := segs[len(segs)-1]
		info, err := os.Stat(last)
		if err != nil {
			return err
		}
		orig, err := os.ReadFile(last)
		if err != nil {
			return err
		}
		cut := rng.Int64N(min(info.Size(), 1<<20) + 1)
		if err := os.Truncate(last, info.Size()-cut); err != nil {
			return err
		}
		e.Fault("SIGKILL node %d and cut %d of %d bytes off its log", crashVictim, cut, info.Size())
		if err := e.startOrRestore(ctx, fmt.Sprintf("after a cut of %d bytes", cut), "", last, orig); err != nil {
			return err
		}
	}
	e.Healed()
	return nil
}

// bitFlips flips one bit in the victim's log, first in its oldest record,
// then at random places: a damaged record followed by valid ones must make
// the node refuse to start, naming the file; it then starts from the
// undamaged copy.
func bitFlips(ctx context.Context, e *Env) error {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 5))
	for k := 0; k < map[bool]int{true: 6, false: 2}[e.Long]; k++ {
		if err := Sleep(ctx, 2*time.Second); err != nil {
			return err
		}
		if err := e.C.Stop(crashVictim); err != nil {
			return err
		}
		segs, err := e.walSegments()
		if err != nil {
			return err
		}
		seg := segs[0]
		orig, err := os.ReadFile(seg)
		if err != nil {
			return err
		}
		if len(orig) < 64 {
			e.Note("log of %d bytes too short to flip a bit in a middle record", len(orig))
			if err := e.C.Start(crashVictim); err != nil {
				return err
			}
			continue
		}
		// The first flip hits the first record's payload, which valid
		// records follow; later flips land anywhere in the first half.
		at := 8 + rng.IntN(4)
		if k > 0 {
			at = rng.IntN(len(orig) / 2)
		}
		bad := append([]byte(nil), orig...)
		bad[at] ^= 1 << rng.IntN(8)
		if err := os.WriteFile(seg, bad, 0o600); err != nil {
			return err
		}
		e.Fault("flip a bit at offset %d of %s (%d bytes)", at, filepath.Base(seg), len(orig))
		if err := e.startOrRestore(ctx, fmt.Sprintf("after a bit flip at offset %d", at), seg, seg, orig); err != nil {
			return err
		}
	}
	e.Healed()
	return nil
}

// startOrRestore is startOrRefuse followed, if the node did not start,
// by restoring the undamaged segment, also when the refusal itself broke
// an invariant (reported after the node runs again).
func (e *Env) startOrRestore(ctx context.Context, what, file, seg string, orig []byte) error {
	err := e.startOrRefuse(ctx, what, file)
	var v *violationError
	if err != nil && !errors.As(err, &v) {
		return err
	}
	if rerr := e.restoreIfRefused(ctx, seg, orig); rerr != nil {
		return rerr
	}
	return err
}

// restoreIfRefused puts the undamaged segment back, as an operator
// restores a backup, when the victim refused to start, and restarts it.
func (e *Env) restoreIfRefused(ctx context.Context, seg string, orig []byte) error {
	if e.C.Running(crashVictim) {
		return nil
	}
	if err := os.WriteFile(seg, orig, 0o600); err != nil {
		return err
	}
	return e.restartAndCatchUp(ctx, "from the restored log")
}

// startOrRefuse starts the victim on a damaged log. It must either catch
// up, or exit at once with a message that names the log (and, for a
// damaged middle record, the file).
func (e *Env) startOrRefuse(ctx context.Context, what, file string) error {
	if err := e.startNode(ctx, crashVictim); err != nil {
		return err
	}
	top, err := e.C.Height(ctx, 0)
	if err != nil {
		return err
	}
	waitErr := waitHeightOrExit(ctx, e.C, crashVictim, top, 60*time.Second)
	if waitErr == nil {
		e.Note("node %d recovered %s", crashVictim, what)
		return nil
	}
	if e.C.Running(crashVictim) {
		return violation("node %d neither caught up nor refused to start %s: %v", crashVictim, what, waitErr)
	}
	tail := e.C.LogTail(crashVictim, 4000)
	e.C.Reap(crashVictim)
	// The error it exits with, not any line of its log, must name the log
	// (and, for a damaged middle record, the file).
	msg := lastErrorLine(tail)
	if !strings.Contains(msg, "write-ahead log") || (file != "" && !strings.Contains(msg, filepath.Base(file))) {
		return violation("node %d refused to start %s without saying what is wrong with its log: %s", crashVictim, what, msg)
	}
	e.Note("node %d refused to start %s: %s", crashVictim, what, lastErrorLine(tail))
	return nil
}

// waitHeightOrExit is waitHeight that gives up as soon as node i's
// process exits.
func waitHeightOrExit(ctx context.Context, c *Cluster, i int, h int64, timeout time.Duration) error {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	go func() {
		select {
		case <-c.Exited(i):
			cancel()
		case <-wctx.Done():
		}
	}()
	return c.WaitHeight(wctx, i, h)
}

func lastErrorLine(log string) string {
	lines := strings.Split(strings.TrimSpace(log), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], "Error") || strings.Contains(lines[i], "error") {
			return strings.TrimSpace(lines[i])
		}
	}
	return lines[len(lines)-1]
}

// interruptedCommitError starts the error of a node whose handshake sent
// its application a second Commit (fixed: the node records when it sends
// Commit; kept as a violation should it come back).
const interruptedCommitError = "handshake: completing the application's Commit"

// startNode starts node i. If it exits at once because its handshake sent
// the application a second Commit the application refused, that is
// recorded as a violation, and the node is started again on a fresh
// application (which the handshake replays the chain into), as an
// operator would, so the run can go on.
func (e *Env) startNode(ctx context.Context, i int) error {
	if err := e.C.Start(i); err != nil {
		return err
	}
	select {
	case <-e.C.Exited(i):
	case <-time.After(3 * time.Second):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	msg := lastErrorLine(e.C.LogTail(i, 3000))
	if !strings.Contains(msg, interruptedCommitError) {
		return nil // the caller judges this exit
	}
	e.mu.Lock()
	e.violations = append(e.violations, fmt.Sprintf("node %d cannot restart: %s", i, msg))
	e.mu.Unlock()
	e.C.Reap(i)
	e.C.KillApp(i)
	return e.C.Start(i)
}
