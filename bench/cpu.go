package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// userHz is the unit of the times in /proc: Linux reports them in clock
// ticks of 1/100 s to user space whatever the kernel's own tick.
const userHz = 100

// CPUUse is the processor time spent during a run's send window, in CPU
// seconds, by who spent it. On a machine that runs the whole network it
// says how close the run came to the machine's limit and what each part
// of the system costs per transaction.
type CPUUse struct {
	CPUs      int     `json:"cpus"`          // processors of the machine
	WindowSec float64 `json:"window_sec"`    // length of the window measured
	Machine   float64 `json:"machine_sec"`   // everything that ran on the machine
	Generator float64 `json:"generator_sec"` // the load generator's own process
	// Nodes and Apps are the network's node and application processes,
	// when the run was told them (Config.NetworkCPU); -1 otherwise.
	Nodes float64 `json:"nodes_sec"`
	Apps  float64 `json:"apps_sec"`
}

// Cores turns CPU seconds spent in the window into the average number of
// processors busy.
func (u *CPUUse) Cores(sec float64) float64 {
	if u.WindowSec <= 0 {
		return 0
	}
	return sec / u.WindowSec
}

// Other is what the rest of the machine spent: neither the network nor
// the generator (the operating system's own work, other programs).
func (u *CPUUse) Other() float64 {
	if u.Nodes < 0 {
		return -1
	}
	return max(0, u.Machine-u.Generator-u.Nodes-u.Apps)
}

// NetworkCPU reads the processor seconds the measured network's node and
// application processes have used so far.
type NetworkCPU func() (nodes, apps float64, err error)

// cpuReading is one look at the cumulative counters.
type cpuReading struct {
	at            time.Time
	machine, self float64
	nodes, apps   float64
	cpus          int
	hasNetwork    bool
}

func readCPU(network NetworkCPU) (cpuReading, error) {
	r := cpuReading{at: time.Now()}
	var err error
	if r.machine, r.cpus, err = MachineCPU(); err != nil {
		return r, err
	}
	if r.self, err = ProcessCPU(os.Getpid()); err != nil {
		return r, err
	}
	if network != nil {
		if r.nodes, r.apps, err = network(); err != nil {
			return r, err
		}
		r.hasNetwork = true
	}
	return r, nil
}

// since is the use between an earlier reading and this one.
func (r cpuReading) since(start cpuReading) *CPUUse {
	u := &CPUUse{
		CPUs: r.cpus, WindowSec: r.at.Sub(start.at).Seconds(),
		Machine: r.machine - start.machine, Generator: r.self - start.self,
		Nodes: -1, Apps: -1,
	}
	if r.hasNetwork && start.hasNetwork {
		u.Nodes, u.Apps = r.nodes-start.nodes, r.apps-start.apps
	}
	return u
}

// MachineCPU returns the processor seconds every CPU of the machine has
// spent busy since boot (user, system and interrupt time; idle, waiting
// for I/O and time taken by the hypervisor excluded) and the number of
// CPUs, from /proc/stat.
func MachineCPU() (busySec float64, cpus int, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("reading the machine's processor time: %w", err)
	}
	return parseProcStat(b)
}

func parseProcStat(b []byte) (busySec float64, cpus int, err error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	found := false
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || !strings.HasPrefix(f[0], "cpu") {
			continue
		}
		if f[0] != "cpu" {
			cpus++
			continue
		}
		// cpu user nice system idle iowait irq softirq steal ...
		if len(f) < 8 {
			return 0, 0, fmt.Errorf("unexpected /proc/stat line %q", sc.Text())
		}
		for _, i := range []int{1, 2, 3, 6, 7} {
			ticks, perr := strconv.ParseUint(f[i], 10, 64)
			if perr != nil {
				return 0, 0, fmt.Errorf("unexpected /proc/stat line %q: %w", sc.Text(), perr)
			}
			busySec += float64(ticks) / userHz
		}
		found = true
	}
	if !found || cpus == 0 {
		return 0, 0, errors.New("no cpu lines in /proc/stat")
	}
	return busySec, cpus, nil
}

// ProcessCPU returns the processor seconds process pid has used so far,
// all its threads together (user and system time), from /proc.
func ProcessCPU(pid int) (float64, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, fmt.Errorf("reading the processor time of process %d: %w", pid, err)
	}
	return parseProcessStat(b)
}

func parseProcessStat(b []byte) (float64, error) {
	// The command name, in parentheses, may hold spaces; the fields
	// after it are fixed: state is the first, utime the 12th, stime the
	// 13th.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected process stat %q", b)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("unexpected process stat %q", b)
	}
	var sec float64
	for _, s := range f[11:13] {
		ticks, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected process stat %q: %w", b, err)
		}
		sec += float64(ticks) / userHz
	}
	return sec, nil
}
