package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/bftnode/bftnode/internal/faultproxy"
)

// Scenario is one fault scenario of the suite.
type Scenario struct {
	Name string
	// Protocols it applies to; nil means both.
	Protocols []string
	// Options adjusts the network before it is generated.
	Options func(o *Options)
	// Inject runs the faults. It must leave every fault healed and every
	// node it stopped running again (or listed in env.Down), and call
	// env.Healed after the last fault ends.
	Inject func(ctx context.Context, env *Env) error
	// Byzantine lists validator indexes allowed to misbehave (evidence
	// against them is expected, not a violation).
	Byzantine []int
	// Check adds scenario-specific checks of the result.
	Check func(ctx context.Context, env *Env, r *Result)
	// Prepare runs after the homes are generated, before any node starts.
	Prepare func(ctx context.Context, env *Env) error
	// ShortOn lists the protocols the short suite (make test) runs the
	// scenario for; nil means both. The long suite runs every protocol.
	ShortOn []string
	// Control marks a positive control: the network is made to break an
	// invariant, and the run passes only if the checker reports it.
	Control bool
}

// Env is what a scenario's faults act on.
type Env struct {
	C        *Cluster
	Mesh     *faultproxy.Mesh
	Protocol string
	// Long is true in the long suite (make faults): faults last as the
	// issue says; otherwise they are shortened for make test.
	Long bool
	// Down lists nodes the scenario leaves stopped on purpose (a node that
	// halted on a bad application): not read by the checker.
	Down map[int]bool

	log        func(string, ...any)
	mu         sync.Mutex
	faults     int
	lastHeal   time.Time
	notes      []string
	violations []string
	phase      string // the scenario running within a combined run
}

// Validators is the number of validators of every scenario's network; the
// full node comes after them.
const Validators = 4

// FullNode is the index of the full node.
const FullNode = Validators

// Fault records that a fault is injected now.
func (e *Env) Fault(format string, args ...any) {
	e.mu.Lock()
	e.faults++
	e.mu.Unlock()
	e.log("fault: "+e.prefix()+format, args...)
}

func (e *Env) prefix() string {
	if e.phase == "" {
		return ""
	}
	return e.phase + ": "
}

// Healed records that every fault injected so far has ended.
func (e *Env) Healed() {
	e.mu.Lock()
	e.lastHeal = time.Now()
	e.mu.Unlock()
}

// Note adds a line to the scenario's report.
func (e *Env) Note(format string, args ...any) {
	e.mu.Lock()
	e.notes = append(e.notes, e.prefix()+fmt.Sprintf(format, args...))
	e.mu.Unlock()
	e.log("note: "+e.prefix()+format, args...)
}

// Dur picks the long or the short duration of a fault.
func (e *Env) Dur(long, short time.Duration) time.Duration {
	if e.Long {
		return long
	}
	return short
}

// Sleep waits d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// Result is what one scenario run found.
type Result struct {
	Scenario, Protocol string
	Faults             int
	Acked, Lost        int
	Duplicated         int
	Forks, DoubleSigns int
	Evidence           int
	Linearizable       string
	RegisterOps, Known int
	Recovery           time.Duration
	Heights            []int64
	Violations         []string
	Notes              []string
	Err                error
	// Control runs pass when the checker found the violation they cause.
	Control bool
	// OpenBugs are violations of a known, still open bug (known.go).
	OpenBugs []string
}

// Failed reports whether the run broke an invariant or could not finish;
// for a positive control, whether the checker missed the fork.
func (r *Result) Failed() bool {
	if r.Control {
		return r.Err != nil || r.Forks == 0
	}
	return r.Err != nil || len(r.Violations) > 0
}

// RecoveryLimit is how soon after the last fault heals the chain must
// commit again.
const RecoveryLimit = 20 * time.Second

// RunScenario starts a network for one protocol, runs both workloads,
// injects the scenario's faults and checks every invariant.
func RunScenario(ctx context.Context, dir string, s Scenario, protocol string, long bool, logf func(string, ...any)) *Result {
	r := &Result{Scenario: s.Name, Protocol: protocol, Control: s.Control}
	opts := Options{Protocol: protocol, Validators: Validators, FullNodes: 1, ExternalApp: true, App: "casapp",
		BuildTags: []string{"failpoint", "byzantine"}}
	if s.Options != nil {
		s.Options(&opts)
	}
	c, err := NewCluster(dir, opts, logf)
	if err != nil {
		r.Err = err
		return r
	}
	defer c.Shutdown()
	mesh, err := c.UseProxies()
	if err != nil {
		r.Err = err
		return r
	}
	env := &Env{C: c, Mesh: mesh, Protocol: protocol, Long: long, Down: map[int]bool{}, log: logf}
	r.Err = runScenario(ctx, s, env, r)
	r.Notes = append(r.Notes, env.notes...)
	r.Violations = append(r.Violations, env.violations...)
	if !s.Control {
		setAsideKnownBugs(r)
	}
	r.Faults = env.faults
	if r.Failed() {
		keepLogs(dir, s.Name, protocol, logf)
	}
	return r
}

func runScenario(ctx context.Context, s Scenario, env *Env, r *Result) error {
	c := env.C
	if s.Prepare != nil {
		if err := s.Prepare(ctx, env); err != nil {
			return err
		}
	}
	if err := c.StartAll(); err != nil {
		return err
	}
	for i := range c.Nodes {
		if err := waitHeight(ctx, c, i, 2, 90*time.Second); err != nil {
			return err
		}
	}
	targets := s.loadTargets()
	writes := NewWriteLoad(c, s.Name+"-"+env.Protocol, targets)
	regs := NewRegisterLoad(c, strings.ReplaceAll(s.Name, "/", "-"), targets, 3)
	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); writes.Run(loadCtx, 4, 100*time.Millisecond) }()
	go func() { defer wg.Done(); regs.Run(loadCtx, 3, 50*time.Millisecond) }()
	err := Sleep(ctx, 2*time.Second)
	if err == nil {
		env.Healed()
		err = s.Inject(ctx, env)
		var v *violationError
		if errors.As(err, &v) {
			r.Violations = append(r.Violations, v.msg)
			err = nil
		}
	}
	if err == nil && !s.Control {
		r.Recovery, err = measureRecovery(ctx, env)
	}
	if err == nil {
		err = Sleep(ctx, 2*time.Second)
	}
	stopLoad()
	wg.Wait()
	if err != nil {
		return err
	}
	return checkResult(ctx, s, env, r, writes, regs)
}

// measureRecovery waits until every running node has committed a block
// above the highest height any node had when the last fault healed.
func measureRecovery(ctx context.Context, env *Env) (time.Duration, error) {
	env.mu.Lock()
	healed := env.lastHeal
	env.mu.Unlock()
	top := int64(0)
	live := env.live()
	for _, i := range live {
		if h, err := env.C.Height(ctx, i); err == nil && h > top {
			top = h
		}
	}
	deadline := time.Now().Add(3 * RecoveryLimit)
	for _, i := range live {
		if err := waitHeight(ctx, env.C, i, top+1, time.Until(deadline)); err != nil {
			return 0, fmt.Errorf("no block within %v of the last fault healing: %w", 3*RecoveryLimit, err)
		}
	}
	return time.Since(healed), nil
}

// loadTargets lists the nodes the workloads send to: all but the
// Byzantine ones, whose acknowledgements promise nothing.
func (s Scenario) loadTargets() []int {
	var out []int
	for i := 0; i <= FullNode; i++ {
		byz := false
		for _, b := range s.Byzantine {
			byz = byz || b == i
		}
		if !byz {
			out = append(out, i)
		}
	}
	return out
}

// live lists the nodes the scenario did not leave down.
func (e *Env) live() []int {
	var out []int
	for i := range e.C.Nodes {
		if !e.Down[i] {
			out = append(out, i)
		}
	}
	return out
}

func checkResult(ctx context.Context, s Scenario, env *Env, r *Result, writes *WriteLoad, regs *RegisterLoad) error {
	c := env.C
	acked := writes.Acked()
	txs := make([]string, 0, len(acked))
	for tx := range acked {
		txs = append(txs, tx)
	}
	r.Acked = len(txs)
	live := env.live()
	wait := 60 * time.Second
	if s.Control {
		wait = 5 * time.Second // the other side's transactions never come
	}
	if _, err := c.WaitCommitted(ctx, live[0], txs, wait); err != nil {
		return err
	}
	for _, i := range live {
		if !c.Running(i) {
			r.Violations = append(r.Violations, fmt.Sprintf("node %d is not running: %s", i, c.ExitStatus(i)))
		}
	}
	check, err := c.CheckChains(ctx, live, txs)
	if err != nil {
		return err
	}
	byz := map[string]bool{}
	for _, i := range s.Byzantine {
		addr, err := c.ValidatorAddress(i)
		if err != nil {
			return err
		}
		byz[addr] = true
	}
	r.Heights, r.Lost, r.Duplicated = check.Heights, len(check.Lost), len(check.Duplicated)
	r.Forks, r.DoubleSigns = len(check.Forks), len(check.DoubleSigns)
	for _, n := range check.Evidence {
		r.Evidence += n
	}
	r.Violations = append(r.Violations, check.Violations(byz)...)
	if check.Resigned > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d votes for the same block signed again with a new timestamp", check.Resigned))
	}
	r.Linearizable, r.RegisterOps, r.Known = regs.Check(60 * time.Second)
	if r.Linearizable == "VIOLATION" {
		r.Violations = append(r.Violations, "the register history is not linearizable")
	}
	if r.Recovery > RecoveryLimit {
		r.Violations = append(r.Violations, fmt.Sprintf("the chain resumed %v after the last fault healed (limit %v)", r.Recovery.Round(time.Millisecond), RecoveryLimit))
	}
	r.Violations = append(r.Violations, c.Panics()...)
	if s.Check != nil {
		s.Check(ctx, env, r)
	}
	return nil
}

// waitHeight waits up to timeout for node i to reach height h.
func waitHeight(ctx context.Context, c *Cluster, i int, h int64, timeout time.Duration) error {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return c.WaitHeight(wctx, i, h)
}

// keepLogs copies the homes' logs of a failed run where a developer finds
// them (BFTNODE_FAULTS_LOGS, default the system temp dir).
func keepLogs(dir, scenario, protocol string, logf func(string, ...any)) {
	base := os.Getenv("BFTNODE_FAULTS_LOGS")
	if base == "" {
		base = os.TempDir()
	}
	dst := filepath.Join(base, "bftnode-faults-"+strings.ReplaceAll(scenario, "/", "-")+"-"+protocol)
	_ = os.RemoveAll(dst)
	for i := 0; ; i++ {
		home := filepath.Join(dir, fmt.Sprintf("node%d", i))
		if _, err := os.Stat(home); err != nil {
			break
		}
		_ = os.MkdirAll(filepath.Join(dst, fmt.Sprintf("node%d", i)), 0o755)
		for _, f := range []string{"node.log", "app.log"} {
			if b, err := os.ReadFile(filepath.Join(home, f)); err == nil {
				_ = os.WriteFile(filepath.Join(dst, fmt.Sprintf("node%d", i), f), b, 0o644)
			}
		}
	}
	logf("logs of the failed run kept in %s", dst)
}
