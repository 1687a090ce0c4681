package mutate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config is one mutation run.
type Config struct {
	Root string // the module root
	Work string // a scratch directory for overlays and binaries
	// Families are the simulator's scenario families, tried in this order
	// until one kills the mutant; Seeds seeds each.
	Families []string
	Seeds    int
	// SimTimeout bounds one family's run, UnitTimeout the unit tests; a
	// mutant that exceeds either is killed by the timeout.
	SimTimeout, UnitTimeout time.Duration
	Parallel                int
	// Budget, if not zero, is how long Run starts new mutants for.
	Budget time.Duration
	// Progress, if set, receives a line per finished mutant.
	Progress func(Result)
}

// Outcome is what one check (simulator or unit tests) said of a mutant.
type Outcome string

// The outcomes of a check.
const (
	Survived Outcome = "survived"
	Killed   Outcome = "killed"
	TimedOut Outcome = "timeout"
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
			if o, by := runSim(ctx, cfg, bin, p, fam); o != Survived {
				return fmt.Errorf("mutate: the unmutated simulator fails (%s %s: %s): fix that before mutating", p, fam, by)
			}
		}
	}
	for _, pkg := range pkgs {
		if o, by := runUnit(ctx, cfg, "", pkg); o != Survived {
			return fmt.Errorf("mutate: the unmutated unit tests of %s fail (%s): fix them before mutating", pkg, by)
		}
	}
	return nil
}

// Run tests every site and returns the results in the sites' order; a
// site it did not try (interrupted, or out of budget) has a zero Result.
func Run(ctx context.Context, cfg Config, sites []Site) []Result {
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
// until one kills it, then the package's unit tests.
func runOne(ctx context.Context, cfg Config, i int, s Site) Result {
	began := time.Now()
	r := Result{Site: s}
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
	r.Compiled = true
	r.Sim = Survived
	for _, p := range protocolsOf(s.Pkg) {
		for _, fam := range cfg.Families {
			if o, by := runSim(ctx, cfg, bin, p, fam); o != Survived {
				r.Sim, r.SimBy = o, by
				break
			}
		}
		if r.Sim != Survived {
			break
		}
	}
	r.Unit, r.UnitBy = runUnit(ctx, cfg, overlay, s.Pkg)
	r.Duration = time.Since(began)
	return r
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

// runSim runs one family of one protocol; a violation, a crash or the
// timeout kill the mutant.
func runSim(ctx context.Context, cfg Config, bin, protocol, family string) (Outcome, string) {
	ctx, cancel := context.WithTimeout(ctx, cfg.SimTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-protocol", protocol, "-scenario", family, "-seeds", strconv.Itoa(cfg.Seeds), "-parallel", "1", "-failfast")
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return TimedOut, fmt.Sprintf("%s %s: no end within %v", protocol, family, cfg.SimTimeout)
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

// runUnit runs the unit tests of pkg with the overlay ("" for none).
func runUnit(ctx context.Context, cfg Config, overlay, pkg string) (Outcome, string) {
	args := []string{"test", "-count=1", "-failfast", "-timeout", cfg.UnitTimeout.String()}
	if overlay != "" {
		args = append(args, "-overlay", overlay)
	}
	args = append(args, "./"+pkg)
	out, err := goCmd(ctx, cfg.Root, cfg.UnitTimeout+time.Minute, args...)
	switch {
	case err == nil:
		return Survived, ""
	case bytes.Contains(out, []byte("panic: test timed out")) || errors.Is(err, context.DeadlineExceeded):
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
