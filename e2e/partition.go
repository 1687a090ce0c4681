package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/bftnode/bftnode/internal/faultproxy"
)

// heights reads the latest height of every validator; -1 for one that
// does not answer.
func (e *Env) heights(ctx context.Context) []int64 {
	out := make([]int64, Validators)
	for i := range out {
		h, err := e.C.Height(ctx, i)
		if err != nil {
			h = -1
		}
		out[i] = h
	}
	return out
}

// split22 splits the validators 2/2 (the full node with the first half):
// neither side holds more than 2/3 of the power, so no block may be
// committed until the split heals.
func split22(ctx context.Context, e *Env) error {
	d := e.Dur(30*time.Second, 6*time.Second)
	e.Fault("partition {0,1,full} | {2,3} for %v", d)
	e.Mesh.Partition(faultproxy.Cut, []int{0, 1, FullNode}, []int{2, 3})
	// A block decided just before the cut may still reach its last node.
	if err := Sleep(ctx, 2*time.Second); err != nil {
		return err
	}
	before := e.heights(ctx)
	if err := Sleep(ctx, d-2*time.Second); err != nil {
		return err
	}
	after := e.heights(ctx)
	e.Mesh.HealAll()
	e.Healed()
	for i := range before {
		if before[i] >= 0 && after[i] > before[i]+1 {
			return violation("validator %d committed from height %d to %d while split 2/2", i, before[i], after[i])
		}
	}
	e.Note("heights during the split: %v → %v", before, after)
	return nil
}

// isolateOne cuts one validator off from everyone; the other three keep
// committing, and it catches up after.
func isolateOne(ctx context.Context, e *Env) error {
	d := e.Dur(30*time.Second, 6*time.Second)
	e.Fault("isolate validator 1 for %v", d)
	e.Mesh.Isolate(1, faultproxy.Cut)
	before := e.heights(ctx)
	err := Sleep(ctx, d)
	after := e.heights(ctx)
	e.Mesh.HealAll()
	e.Healed()
	if err != nil {
		return err
	}
	// A short isolation may fall within the rounds the isolated proposer
	// owns; the long one must see progress.
	if e.Long && after[0] <= before[0] {
		return violation("the three connected validators committed nothing in %v (heights %v → %v)", d, before, after)
	}
	return nil
}

// cyclePartitions alternates healed periods with random halves and rings.
func cyclePartitions(ctx context.Context, e *Env) error {
	healed, cut := e.Dur(5*time.Second, 3*time.Second), e.Dur(30*time.Second, 5*time.Second)
	cycles := map[bool]int{true: 6, false: 2}[e.Long]
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	for k := 0; k < cycles; k++ {
		if k%2 == 0 {
			perm := rng.Perm(Validators + 1)
			e.Fault("halves %v | %v for %v", perm[:2], perm[2:], cut)
			e.Mesh.Partition(faultproxy.Cut, perm[:2], perm[2:])
		} else {
			e.Fault("ring for %v", cut)
			e.Mesh.Ring(faultproxy.Blackhole)
		}
		if err := Sleep(ctx, cut); err != nil {
			return err
		}
		e.Mesh.HealAll()
		if err := Sleep(ctx, healed); err != nil {
			return err
		}
	}
	e.Healed()
	return nil
}

// primaryStar lets PBFT's current primary reach every node while the
// backups cannot reach each other.
func primaryStar(ctx context.Context, e *Env) error {
	primary, err := e.latestProposer(ctx)
	if err != nil {
		return err
	}
	d := e.Dur(30*time.Second, 6*time.Second)
	e.Fault("star around primary %d for %v", primary, d)
	e.Mesh.Star(primary, faultproxy.Cut)
	before := e.heights(ctx)
	err = Sleep(ctx, d)
	after := e.heights(ctx)
	e.Mesh.HealAll()
	e.Healed()
	e.Note("primary %d; heights during the star: %v → %v", primary, before, after)
	return err
}

// latestProposer is the validator index of the proposer of node 0's
// latest block (PBFT's primary of the current view).
func (e *Env) latestProposer(ctx context.Context) (int, error) {
	cl, err := e.C.Client(0)
	if err != nil {
		return 0, err
	}
	b, err := cl.Block(ctx, nil)
	if err != nil {
		return 0, err
	}
	for i := 0; i < Validators; i++ {
		addr, err := e.C.ValidatorAddress(i)
		if err != nil {
			return 0, err
		}
		if addr == b.Block.ProposerAddress.String() {
			return i, nil
		}
	}
	return 0, fmt.Errorf("proposer %s of height %d is no validator of the cluster", b.Block.ProposerAddress, b.Block.Height)
}

// violationError is an invariant a fault scenario saw broken while it ran.
type violationError struct{ msg string }

func (v *violationError) Error() string { return v.msg }

func violation(format string, args ...any) error {
	return &violationError{fmt.Sprintf(format, args...)}
}
