package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"time"

	"github.com/bftnode/bftnode/internal/faultproxy"
)

// ValidatorAddress is the address (upper-case hex) of node i's validator
// key.
func (c *Cluster) ValidatorAddress(i int) (string, error) {
	b, err := os.ReadFile(filepath.Join(c.Nodes[i].Home, "config", "priv_validator_key.json"))
	if err != nil {
		return "", err
	}
	var k struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal(b, &k); err != nil {
		return "", fmt.Errorf("node %d validator key: %w", i, err)
	}
	return k.Address, nil
}

// KillRestart kills node i with SIGKILL and starts it again.
func (e *Env) KillRestart(ctx context.Context, i int) error {
	e.Fault("SIGKILL node %d, restart", i)
	if err := e.C.Kill(i); err != nil {
		return err
	}
	if err := Sleep(ctx, time.Second); err != nil {
		return err
	}
	return e.startNode(ctx, i)
}

// TermRestart stops node i with SIGTERM and starts it again.
func (e *Env) TermRestart(ctx context.Context, i int) error {
	e.Fault("SIGTERM node %d, restart", i)
	if err := e.C.Stop(i); err != nil {
		return err
	}
	return e.startNode(ctx, i)
}

// Pause stops node i with SIGSTOP for d.
func (e *Env) Pause(ctx context.Context, i int, d time.Duration) error {
	e.Fault("SIGSTOP node %d for %v", i, d)
	if err := e.C.Pause(i); err != nil {
		return err
	}
	err := Sleep(ctx, d)
	if rerr := e.C.Resume(i); err == nil {
		err = rerr
	}
	return err
}

// CutLink cuts the links between a and b for d.
func (e *Env) CutLink(ctx context.Context, a, b int, d time.Duration) error {
	e.Fault("cut link %d-%d for %v", a, b, d)
	e.Mesh.SetBoth(a, b, faultproxy.Cut)
	err := Sleep(ctx, d)
	e.Mesh.SetBoth(a, b, faultproxy.Pass)
	return err
}

// perturbation is one of the single-node faults, applied to node i.
type perturbation func(ctx context.Context, e *Env, i int) error

var perturbations = map[string]perturbation{
	"kill": func(ctx context.Context, e *Env, i int) error { return e.KillRestart(ctx, i) },
	"term": func(ctx context.Context, e *Env, i int) error { return e.TermRestart(ctx, i) },
	"pause": func(ctx context.Context, e *Env, i int) error {
		return e.Pause(ctx, i, e.Dur(10*time.Second, 3*time.Second))
	},
	"cut": func(ctx context.Context, e *Env, i int) error {
		return e.CutLink(ctx, i, (i+1)%Validators, e.Dur(10*time.Second, 3*time.Second))
	},
}

// onePerturbationEach runs kill -9, SIGSTOP, SIGTERM and a link cut one at
// a time on different nodes, 3 s apart, under load.
func onePerturbationEach(ctx context.Context, e *Env) error {
	for k, name := range []string{"kill", "pause", "term", "cut"} {
		if err := perturbations[name](ctx, e, k%(Validators+1)); err != nil {
			return err
		}
		if err := Sleep(ctx, 3*time.Second); err != nil {
			return err
		}
	}
	e.Healed()
	return nil
}

// randomPerturbations draws faults and their nodes at random (the full
// node included), one at a time, 3 s apart.
func randomPerturbations(ctx context.Context, e *Env) error {
	names := []string{"kill", "pause", "term", "cut"}
	seed := uint64(time.Now().UnixNano())
	e.Note("random seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	n := map[bool]int{true: 16, false: 3}[e.Long]
	for k := 0; k < n; k++ {
		name, node := names[rng.IntN(len(names))], rng.IntN(Validators+1)
		if err := perturbations[name](ctx, e, node); err != nil {
			return err
		}
		if err := Sleep(ctx, 3*time.Second); err != nil {
			return err
		}
	}
	e.Healed()
	return nil
}
