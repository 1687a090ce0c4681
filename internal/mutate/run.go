package mutate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config is one mutation run.
type Config struct {
	Root string // the module root
	Work string // a scratch directory for overlays and binaries
	// Families are the simulator's scenario families, tried until one
	// kills the mutant, those that killed the most mutants so far first
	// (ties in this order); Seeds seeds each.
	Families []string
	Seeds    int
	// SimTimeout bounds one family's run; a family that does not end in
	// it is run again with ConfirmTimeout (if longer), and a mutant whose
	// run does not end then either is killed by the timeout. UnitTimeout
	// bounds the unit tests the same way.
	SimTimeout, ConfirmTimeout, UnitTimeout time.Duration
	Parallel                                int
	// UnitAlways runs the unit tests of mutants the simulator killed too;
	// without it they run only for the mutants the simulator missed.
	UnitAlways bool
	// SourceHash is recorded in every result (see SourceHash).
	SourceHash string
	// Budget, if not zero, is how long Run starts new mutants for.
	Budget time.Duration
	// Progress, if set, receives each finished mutant, one at a time.
	Progress func(Result)
	// order ranks the families by kills; Run sets it.
	order *familyOrder
}

// Outcome is what one check (simulator or unit tests) said of a mutant.
type Outcome string

// The outcomes of a check.
const (
	Survived Outcome = "survived"
	Killed   Outcome = "killed"
	TimedOut Outcome = "timeout"
	// NotRun is the unit tests' outcome for a mutant the simulator killed
	// when Config.UnitAlways is off.
	NotRun Outcome = "not run"
)

// Result is one mutant's fate.
type Result struct {
	Site
	// Compiled is false for a mutant the compiler rejects (it is not
	// counted).
	Compiled bool
	Sim      Outcome
	// SimBy is the family and seed that killed it, and the first violation.
	SimBy    string
	Unit     Outcome
	UnitBy   string
	Duration time.Duration
	// Build, SimTime and UnitTime split Duration: building the simulator,
	// running its families, building and running the unit tests.
	Build, SimTime, UnitTime time.Duration
	// SourceHash names the sources the result was measured on.
	SourceHash string
}

// KilledBySim and KilledByUnit count timeouts as kills.
func (r Result) KilledBySim() bool  { return r.Sim == Killed || r.Sim == TimedOut }
func (r Result) KilledByUnit() bool { return r.Unit == Killed || r.Unit == TimedOut }

// Verdict is "sim", "unit", "both" or "survived" (with "timeout" noted).
func (r Result) Verdict() string {
	switch {
	case !r.Compiled:
		return "not compiled"
	case r.KilledBySim() && r.KilledByUnit():
		return "both"
	case r.KilledBySim():
		return "sim"
	case r.KilledByUnit():
		return "unit"
	}
	return "survived"
}

// protocolsOf are the protocols a package's mutants run in.
func protocolsOf(pkg string) []string {
	switch pkg {
	case "tendermint":
		return []string{"tendermint"}
	case "pbft":
		return []string{"pbft"}
	}
	return []string{"tendermint", "pbft"}
}

// Baseline checks that the unmutated tree passes what mutants must fail:
// every family and seed of both protocols and the unit tests of pkgs.
func Baseline(ctx context.Context, cfg Config, pkgs []string) error {
	dir := filepath.Join(cfg.Work, "baseline")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	bin := filepath.Join(dir, "bftsim")
	if out, err := goCmd(ctx, cfg.Root, 0, "build", "-o", bin, "./cmd/bftsim"); err != nil {
		return fmt.Errorf("mutate: build bftsim: %w\n%s", err, out)
	}
	for _, p := range []string{"tendermint", "pbft"} {
		for _, fam := range cfg.Families {
			if o, by := confirmSim(ctx, cfg, bin, p, fam); o != Survived {
				return fmt.Errorf("mutate: the unmutated simulator fails (%s %s: %s): fix that before mutating", p, fam, by)
			}
		}
	}
	for _, pkg := range pkgs {
		if o, by := runUnit(ctx, cfg, dir, "", pkg); o != Survived {
			return fmt.Errorf("mutate: the unmutated unit tests of %s fail (%s): fix them before mutating", pkg, by)
		}
	}
	return nil
}

// Run tests every site and returns the results in the sites' order; a
// site it did not try (interrupted, or out of budget) has a zero Result.
func Run(ctx context.Context, cfg Config, sites []Site) []Result {
	if cfg.order == nil {
		cfg.order = newFamilyOrder(cfg.Families)
	}
	results := make([]Result, len(sites))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range max(1, cfg.Parallel) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := runOne(ctx, cfg, i, sites[i])
				if ctx.Err() != nil {
					continue // interrupted: not tried
				}
				results[i] = r
				if cfg.Progress != nil {
					mu.Lock()
					cfg.Progress(r)
					mu.Unlock()
				}
			}
		}()
	}
	began := time.Now()
	for i := range sites {
		if ctx.Err() != nil || cfg.Budget > 0 && time.Since(began) > cfg.Budget {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// runOne builds mutant i with an overlay, runs the simulator's families
// until one kills it, then (if the simulator missed it, or always with
// UnitAlways) the package's unit tests.
func runOne(ctx context.Context, cfg Config, i int, s Site) (r Result) {
	began := time.Now()
	r = Result{Site: s, SourceHash: cfg.SourceHash}
	defer func() { r.Duration = time.Since(began) }()
	dir := filepath.Join(cfg.Work, fmt.Sprintf("m%04d", i))
	defer os.RemoveAll(dir)
	overlay, err := writeOverlay(cfg.Root, dir, s)
	if err != nil {
		r.SimBy = err.Error()
		return r
	}
	bin := filepath.Join(dir, "bftsim")
	if _, err := goCmd(ctx, cfg.Root, 0, "build", "-overlay", overlay, "-o", bin, "./cmd/bftsim"); err != nil {
		return r
	}
	r.Build = time.Since(began)
	r.Compiled = true
	r.Sim = Survived
	simBegan := time.Now()
	for _, p := range protocolsOf(s.Pkg) {
		for _, fam := range cfg.order.ranked(p) {
			if o, by := confirmSim(ctx, cfg, bin, p, fam); o != Survived {
				r.Sim, r.SimBy = o, by
				cfg.order.killed(p, fam)
				break
			}
		}
		if r.Sim != Survived {
			break
		}
	}
	r.SimTime = time.Since(simBegan)
	r.Unit = NotRun
	if cfg.UnitAlways || !r.KilledBySim() {
		unitBegan := time.Now()
		r.Unit, r.UnitBy = runUnit(ctx, cfg, dir, overlay, s.Pkg)
		r.UnitTime = time.Since(unitBegan)
	}
	return r
}

// familyOrder ranks each protocol's families by the mutants they killed,
// so that a mutant meets the likeliest killers first; it changes which
// family is named as the killer, never whether a mutant is killed.
type familyOrder struct {
	mu    sync.Mutex
	base  []string
	kills map[string]int // "protocol family" -> mutants killed
}

func newFamilyOrder(families []string) *familyOrder {
	return &familyOrder{base: families, kills: map[string]int{}}
}

// ranked is the families in the order to try them in protocol p.
func (o *familyOrder) ranked(p string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := append([]string(nil), o.base...)
	sort.SliceStable(out, func(i, j int) bool { return o.kills[p+" "+out[i]] > o.kills[p+" "+out[j]] })
	return out
}

func (o *familyOrder) killed(p, family string) {
	o.mu.Lock()
	o.kills[p+" "+family]++
	o.mu.Unlock()
}

// Learn counts the kills of earlier results (their SimBy names protocol
// and family first), so that a resumed run starts with their order.
func (c *Config) Learn(earlier []Result) {
	if c.order == nil {
		c.order = newFamilyOrder(c.Families)
	}
	for _, r := range earlier {
		f := strings.Fields(r.SimBy)
		if r.KilledBySim() && len(f) >= 2 {
			c.order.killed(f[0], strings.TrimSuffix(f[1], ":"))
		}
	}
}

// writeOverlay writes the mutated file and the overlay that puts it in
// place of the original, returning the overlay's path.
func writeOverlay(root, dir string, s Site) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	orig, err := filepath.Abs(filepath.Join(root, s.File))
	if err != nil {
		return "", err
	}
	src, err := os.ReadFile(orig)
	if err != nil {
		return "", fmt.Errorf("mutate: read %s: %w", s.File, err)
	}
	mutated, err := s.Apply(src)
	if err != nil {
		return "", err
	}
	file := filepath.Join(dir, filepath.Base(s.File))
	if err := os.WriteFile(file, mutated, 0o644); err != nil {
		return "", err
	}
	data, err := json.Marshal(map[string]map[string]string{"Replace": {orig: file}})
	if err != nil {
		return "", err
	}
	overlay := filepath.Join(dir, "overlay.json")
	return overlay, os.WriteFile(overlay, data, 0o644)
}

// confirmSim runs one family of one protocol; a run that does not end in
// SimTimeout is run again with ConfirmTimeout, so that a loaded machine
// does not pass for a mutant that hangs.
func confirmSim(ctx context.Context, cfg Config, bin, protocol, family string) (Outcome, string) {
	o, by := runSim(ctx, cfg.SimTimeout, cfg.Seeds, bin, protocol, family)
	if o != TimedOut || cfg.ConfirmTimeout <= cfg.SimTimeout {
		return o, by
	}
	o, by = runSim(ctx, cfg.ConfirmTimeout, cfg.Seeds, bin, protocol, family)
	if o == TimedOut {
		by = fmt.Sprintf("%s %s: no end within %v, nor within %v on a second run", protocol, family, cfg.SimTimeout, cfg.ConfirmTimeout)
	}
	return o, by
}

// runSim runs one family of one protocol; a violation, a crash or the
// timeout kill the mutant.
func runSim(ctx context.Context, timeout time.Duration, seeds int, bin, protocol, family string) (Outcome, string) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-protocol", protocol, "-scenario", family, "-seeds", strconv.Itoa(seeds), "-parallel", "1", "-failfast")
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return TimedOut, fmt.Sprintf("%s %s: no end within %v", protocol, family, timeout)
	case err == nil:
		return Survived, ""
	}
	return Killed, protocol + " " + family + ": " + firstFailure(out)
}

// firstFailure is the seed and first violation of a failing sweep, or the
// first line of a crash.
func firstFailure(out []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(out))
	var seed string
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "FAIL "):
			for _, f := range strings.Fields(line) {
				if strings.HasPrefix(f, "seed=") {
					seed = f
				}
			}
		case seed != "":
			return seed + ": " + cut(line, 160)
		case strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "bftsim:"):
			return cut(line, 160)
		}
	}
	return cut(strings.TrimSpace(string(out)), 160)
}

// runUnit builds the test binary of pkg with the overlay ("" for none)
// into dir and runs it, failing fast, in the package's directory.
func runUnit(ctx context.Context, cfg Config, dir, overlay, pkg string) (Outcome, string) {
	bin := filepath.Join(dir, pkg+".test")
	args := []string{"test", "-c", "-o", bin}
	if overlay != "" {
		args = append(args, "-overlay", overlay)
	}
	if out, err := goCmd(ctx, cfg.Root, 0, append(args, "./"+pkg)...); err != nil {
		return Killed, "the tests do not build: " + cut(string(out), 140)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.UnitTimeout+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-test.count=1", "-test.failfast", "-test.timeout", cfg.UnitTimeout.String())
	cmd.Dir = filepath.Join(cfg.Root, pkg)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	switch {
	case err == nil:
		return Survived, ""
	case bytes.Contains(out, []byte("panic: test timed out")) || ctx.Err() != nil:
		return TimedOut, "no end within " + cfg.UnitTimeout.String()
	}
	return Killed, firstTestFailure(out)
}

// firstTestFailure is the first failing test's name and message.
func firstTestFailure(out []byte) string {
	lines := strings.Split(string(out), "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "--- FAIL: ") {
			name := strings.Fields(strings.TrimSpace(l))[2]
			if i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" && !strings.HasPrefix(strings.TrimSpace(lines[i+1]), "--- ") {
				return name + ": " + cut(strings.TrimSpace(lines[i+1]), 140)
			}
			return name
		}
		if strings.HasPrefix(l, "panic:") {
			return cut(l, 160)
		}
	}
	return cut(strings.TrimSpace(string(out)), 160)
}

// goCmd runs the go command in root, bounded by timeout if not zero.
func goCmd(ctx context.Context, root string, timeout time.Duration, args ...string) ([]byte, error) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return out, ctx.Err()
	}
	return out, err
}

func cut(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-3] + "..."
	}
	return s
}
