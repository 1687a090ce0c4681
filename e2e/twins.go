package e2e

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/bftnode/bftnode/internal/faultproxy"
)

// twinPowers give validator 3 more than a third of the power (40 of 70):
// with a twin holding the same key on each side of a partition, both
// sides reach more than two thirds ({0,3}: 50, {1,2,twin}: 60).
var twinPowers = []int64{10, 10, 10, 40}

// prepareTwins gives the full node validator 3's key and splits the
// network so the two holders of that key are on different sides.
func prepareTwins(ctx context.Context, e *Env) error {
	for _, f := range []string{"priv_validator_key.json"} {
		b, err := os.ReadFile(filepath.Join(e.C.Nodes[3].Home, "config", f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(e.C.Nodes[FullNode].Home, "config", f), b, 0o600); err != nil {
			return err
		}
	}
	e.Mesh.Partition(faultproxy.Cut, []int{0, 3}, []int{1, 2, FullNode})
	return nil
}

// twinsRun lets both sides commit for a while; the partition stays.
func twinsRun(ctx context.Context, e *Env) error {
	e.Fault("validator 3's key on nodes 3 and %d, partitioned {0,3} | {1,2,%d}", FullNode, FullNode)
	err := Sleep(ctx, e.Dur(30*time.Second, 10*time.Second))
	e.Healed()
	return err
}

// checkTwinsForked turns the checker's findings around: the chain must
// have forked, and the checker must have said so.
func checkTwinsForked(ctx context.Context, e *Env, r *Result) {
	if r.Forks == 0 {
		r.Violations = append(r.Violations, "CHECKER BROKEN: two holders of one key with more than 1/3 of the power across a partition, and no fork reported")
		return
	}
	r.Notes = append(r.Notes, "positive control: the checker reported the fork (and the conflicting votes) as it must")
}
