package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/bftnode/bftnode/internal/casapp"
)

// byzantineValidator is the validator the Byzantine scenario corrupts.
const byzantineValidator = 3

// byzantineEnv is the environment variable the byzantine build reads
// (engine.ByzantineEnv; the engine's constant exists only in that build).
const byzantineEnv = "BFTNODE_BYZANTINE"

// byzantinePhases restarts one validator Byzantine: first equivocating
// (proposals and votes) and replaying its old messages, all validly
// signed; then sending invalid signatures, votes for another chain,
// garbage and oversized messages, for which honest peers disconnect and
// ban it. It is left stopped: its honest peers ban it for ten minutes.
func byzantinePhases(ctx context.Context, e *Env) error {
	phases := []struct {
		modes string
		d     time.Duration
	}{
		{"equivocate,replay", e.Dur(30*time.Second, 12*time.Second)},
		{"badsig,chainid,garbage,oversized", e.Dur(20*time.Second, 6*time.Second)},
	}
	for _, p := range phases {
		if err := e.C.Stop(byzantineValidator); err != nil {
			return err
		}
		e.C.Nodes[byzantineValidator].Env = []string{byzantineEnv + "=" + p.modes}
		if err := e.C.Start(byzantineValidator); err != nil {
			return err
		}
		e.Fault("validator %d Byzantine (%s) for %v", byzantineValidator, p.modes, p.d)
		before, _ := e.C.Height(ctx, 0)
		if err := Sleep(ctx, p.d); err != nil {
			return err
		}
		after, _ := e.C.Height(ctx, 0)
		if after <= before {
			return violation("honest validators committed nothing in %v beside a Byzantine one (%s)", p.d, p.modes)
		}
	}
	e.C.Nodes[byzantineValidator].Env = nil
	if err := e.C.Stop(byzantineValidator); err != nil {
		return err
	}
	e.Down[byzantineValidator] = true
	e.Healed()
	return nil
}

// checkMisbehaviorReachedApp checks that duplicate votes became evidence
// in blocks and reached the application as Misbehavior.
func checkMisbehaviorReachedApp(ctx context.Context, e *Env, r *Result) {
	if r.Evidence == 0 {
		r.Violations = append(r.Violations, "no duplicate-vote evidence against the Byzantine validator reached a block")
	}
	got, err := appMisbehavior(ctx, e.C, 0)
	if err != nil {
		r.Violations = append(r.Violations, "reading the app's Misbehavior: "+err.Error())
		return
	}
	addr, _ := e.C.ValidatorAddress(byzantineValidator)
	n := 0
	for _, m := range got {
		if fmt.Sprintf("%X", m.Validator) == addr {
			n++
		}
	}
	if n == 0 {
		r.Violations = append(r.Violations, fmt.Sprintf("the app of node 0 received no Misbehavior against validator %s (%d entries)", addr, len(got)))
	}
	r.Notes = append(r.Notes, fmt.Sprintf("the app of node 0 received %d Misbehavior entries against the Byzantine validator", n))
}

// appMisbehavior reads what the casapp of node i recorded.
func appMisbehavior(ctx context.Context, c *Cluster, i int) ([]casapp.Misbehavior, error) {
	cl, err := c.Client(i)
	if err != nil {
		return nil, err
	}
	res, err := cl.ABCIQuery(ctx, "/misbehavior", nil)
	if err != nil {
		return nil, err
	}
	var out []casapp.Misbehavior
	if err := json.Unmarshal(res.Response.Value, &out); err != nil {
		return nil, fmt.Errorf("misbehavior answer %q: %w", res.Response.Value, err)
	}
	return out, nil
}
