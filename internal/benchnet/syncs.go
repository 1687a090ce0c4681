package benchnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// syncEvents are the system calls that force written data to the disk.
var syncEvents = []string{"syscalls:sys_enter_fsync", "syscalls:sys_enter_fdatasync"}

// CountNodeSyncs counts the fsync and fdatasync calls the network's nodes
// make over d (their threads, also ones started meanwhile), with perf's
// system-call tracepoints, which cost the nodes nothing measurable. It
// fails when perf is not installed or may not trace.
func (n *Network) CountNodeSyncs(ctx context.Context, d time.Duration) (int64, error) {
	pids := make([]string, len(n.nodes))
	for i, p := range n.nodes {
		pids[i] = strconv.Itoa(p.Pid())
	}
	return countSyncs(ctx, pids, d)
}

func countSyncs(ctx context.Context, pids []string, d time.Duration) (int64, error) {
	perf, err := exec.LookPath("perf")
	if err != nil {
		return 0, errors.New("perf is not installed (Debian: linux-perf)")
	}
	secs := strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
	cmd := exec.CommandContext(ctx, perf, "stat", "-x", ",", "-e", strings.Join(syncEvents, ","),
		"-p", strings.Join(pids, ","), "--", "sleep", secs)
	var out bytes.Buffer
	cmd.Stderr = &out // perf stat writes its counts to stderr
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("perf stat: %w: %s", err, strings.TrimSpace(out.String()))
	}
	return parsePerfCounts(out.String(), syncEvents)
}

// parsePerfCounts sums the counts of events in perf stat's CSV output
// (count,unit,event,...), and fails unless every event was counted.
func parsePerfCounts(csv string, events []string) (int64, error) {
	var total int64
	seen := 0
	for _, line := range strings.Split(csv, "\n") {
		f := strings.Split(line, ",")
		if len(f) < 3 || !slices.Contains(events, f[2]) {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("perf could not count %s (%q): it may need kernel.perf_event_paranoid <= -1 or root", f[2], f[0])
		}
		total += n
		seen++
	}
	if seen != len(events) {
		return 0, fmt.Errorf("perf counted %d of the events %v: %q", seen, events, strings.TrimSpace(csv))
	}
	return total, nil
}
