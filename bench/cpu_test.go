package bench

import (
	"math"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseProcStatSumsBusyTimeOfTheMachine(t *testing.T) {
	stat := "cpu  100 20 30 5000 400 6 7 800 0 0\ncpu0 50 10 15 2500 200 3 4 400 0 0\ncpu1 50 10 15 2500 200 3 3 400 0 0\nintr 1 2 3\n"
	busy, cpus, err := parseProcStat([]byte(stat))
	if err != nil {
		t.Fatal(err)
	}
	// user + nice + system + irq + softirq; idle, iowait and steal are not busy.
	if want := (100.0 + 20 + 30 + 6 + 7) / userHz; math.Abs(busy-want) > 1e-9 || cpus != 2 {
		t.Errorf("got %g s on %d cpus; want %g s on 2", busy, cpus, want)
	}
	for _, bad := range []string{"", "intr 1 2\n", "cpu 1 2 3\ncpu0 1 2 3 4 5 6 7\n", "cpu 1 x 3 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8\n"} {
		if _, _, err := parseProcStat([]byte(bad)); err == nil {
			t.Errorf("parseProcStat(%q) accepted it", bad)
		}
	}
}

func TestParseProcessStatReadsUserAndSystemTimeAfterTheName(t *testing.T) {
	// A command name with spaces and a parenthesis must not shift the fields.
	stat := "4242 (abci-cli (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 70 0 0 20 0 9 0 123 456 789\n"
	sec, err := parseProcessStat([]byte(stat))
	if err != nil {
		t.Fatal(err)
	}
	if want := 320.0 / userHz; math.Abs(sec-want) > 1e-9 {
		t.Errorf("got %g s; want %g", sec, want)
	}
	for _, bad := range []string{"", "4242 (x) S 1 2", "4242 (x) S 1 2 3 4 5 6 7 8 9 10 u s"} {
		if _, err := parseProcessStat([]byte(bad)); err == nil {
			t.Errorf("parseProcessStat(%q) accepted it", bad)
		}
	}
}

func TestProcessCPUSeesThisProcessWork(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	before, err := ProcessCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin until the kernel's own account of this process (getrusage)
	// shows 0.3 s of CPU, however long a loaded machine takes to give it,
	// then check that /proc tells the same.
	selfBefore := selfCPU(t)
	x := 0
	for deadline := time.Now().Add(time.Minute); selfCPU(t)-selfBefore < 0.3; x++ {
		if time.Now().After(deadline) {
			t.Skip("the machine gave this process under 0.3 s of CPU in a minute")
		}
		for i := 0; i < 100000; i++ {
			x++
		}
	}
	spent := selfCPU(t) - selfBefore
	after, err := ProcessCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// /proc counts in clock ticks (10 ms) and other goroutines add a little.
	if got := after - before; got < spent-0.05 || got > spent+0.5 {
		t.Errorf("spinning %d times used %.2f s of CPU by getrusage, %.2f s by /proc", x, spent, got)
	}
	if _, err := ProcessCPU(-1); err == nil {
		t.Error("ProcessCPU of no process returned no error")
	}
}

// selfCPU is this process's user and system CPU time in seconds, by
// getrusage.
func selfCPU(t *testing.T) float64 {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func TestCPUUseSplitsTheMachineAndCostsPerTx(t *testing.T) {
	start := cpuReading{at: time.Unix(100, 0), machine: 10, self: 1, nodes: 4, apps: 2, cpus: 2, hasNetwork: true}
	end := cpuReading{at: time.Unix(110, 0), machine: 29, self: 3, nodes: 18, apps: 6, cpus: 2, hasNetwork: true}
	u := end.since(start)
	if u.WindowSec != 10 || u.Machine != 19 || u.Generator != 2 || u.Nodes != 14 || u.Apps != 4 || u.Other() != 0 {
		t.Fatalf("use %+v, other %g", u, u.Other())
	}
	if got := u.Cores(u.Nodes); got != 1.4 {
		t.Errorf("nodes kept %g cores busy; want 1.4", got)
	}
	r := &Result{TxPerSec: 7000, DurationSec: 10, CPU: u}
	if got := r.NodeCPUPerTx(); math.Abs(got-200) > 1e-9 { // 14 s over 70,000 txs
		t.Errorf("node CPU per tx %g µs; want 200", got)
	}
	if line := FormatCPU(u); !strings.Contains(line, "1.90 of 2 cores busy: nodes 1.40, apps 0.40, generator 0.20, rest 0.00") {
		t.Errorf("FormatCPU = %q", line)
	}
	// Without the network's processes only the machine and the generator
	// are known, and no per-tx node cost is claimed.
	start.hasNetwork = false
	u = end.since(start)
	r.CPU = u
	if u.Nodes != -1 || u.Other() != -1 || r.NodeCPUPerTx() != 0 {
		t.Errorf("without the network: %+v, other %g, per tx %g", u, u.Other(), r.NodeCPUPerTx())
	}
	if line := FormatCPU(u); strings.Contains(line, "nodes") {
		t.Errorf("FormatCPU without the network = %q", line)
	}
}
