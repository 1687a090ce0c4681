package e2e

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cometbft/cometbft/types"
)

// ChainCheck is what the invariant checker found in the chains of the
// nodes it read.
type ChainCheck struct {
	Nodes   []int   // nodes read
	Heights []int64 // their latest heights
	// Forks describe heights where two nodes hold different blocks or
	// application hashes.
	Forks []string
	// Lost are acknowledged transactions that are in no block of the
	// reference chain; Duplicated appear more than once.
	Lost, Duplicated []string
	// DoubleSigns are two commit signatures by one validator for one
	// height and round on different blocks.
	DoubleSigns []string
	// Resigned counts votes for the same block signed twice (another
	// timestamp): allowed, not a conflict.
	Resigned int
	// Evidence maps a validator address (hex) to the duplicate-vote
	// evidence against it found in blocks.
	Evidence map[string]int
	// BadCommits are commits that CometBFT's VerifyCommit rejects.
	BadCommits []string
}

// Violations lists everything that breaks an invariant, given the
// validators (hex addresses) allowed to misbehave.
func (c ChainCheck) Violations(byzantine map[string]bool) []string {
	var v []string
	v = append(v, c.Forks...)
	for _, tx := range c.Lost {
		v = append(v, "acknowledged tx lost: "+tx)
	}
	for _, tx := range c.Duplicated {
		v = append(v, "tx committed more than once: "+tx)
	}
	v = append(v, c.DoubleSigns...)
	v = append(v, c.BadCommits...)
	for addr, n := range c.Evidence {
		if !byzantine[addr] {
			v = append(v, fmt.Sprintf("%d pieces of evidence against honest validator %s", n, addr))
		}
	}
	return v
}

// chainReader fetches blocks and commits of one node.
type chainReader struct {
	node int
	cl   *rpchttp.HTTP
	sets map[string]*types.ValidatorSet // by validators hash: sets change rarely
}

// CheckChains reads the chains of nodes up to their latest heights and
// checks agreement, commits, evidence and the acknowledged transactions
// (against the longest chain).
func (c *Cluster) CheckChains(ctx context.Context, nodes []int, acked []string) (ChainCheck, error) {
	res := ChainCheck{Nodes: nodes, Evidence: map[string]int{}}
	readers := make([]chainReader, len(nodes))
	ref := 0
	for k, i := range nodes {
		cl, err := c.Client(i)
		if err != nil {
			return res, err
		}
		readers[k] = chainReader{node: i, cl: cl, sets: map[string]*types.ValidatorSet{}}
		h, err := c.Height(ctx, i)
		if err != nil {
			return res, fmt.Errorf("node %d: %w", i, err)
		}
		res.Heights = append(res.Heights, h)
		if h > res.Heights[ref] {
			ref = k
		}
	}
	seen := map[string][]int64{}
	votes := map[voteSlot]voteSeen{}
	for h := int64(1); h <= res.Heights[ref]; h++ {
		if err := res.checkHeight(ctx, readers, res.Heights, ref, h, seen, votes); err != nil {
			return res, err
		}
	}
	for _, tx := range acked {
		switch n := len(seen[tx]); {
		case n == 0:
			res.Lost = append(res.Lost, tx)
		case n > 1:
			res.Duplicated = append(res.Duplicated, fmt.Sprintf("%s at heights %v", tx, seen[tx]))
		}
	}
	for tx, hs := range seen {
		if len(hs) > 1 && !contains(acked, tx) {
			res.Duplicated = append(res.Duplicated, fmt.Sprintf("%s at heights %v", tx, hs))
		}
	}
	sort.Strings(res.Lost)
	sort.Strings(res.Duplicated)
	return res, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type voteSlot struct {
	validator string
	height    int64
	round     int32
}

type voteSeen struct {
	block types.BlockID
	sig   []byte
	node  int
}

// checkHeight compares height h across the nodes that have it, reads the
// reference node's transactions and evidence, and every node's commit.
func (res *ChainCheck) checkHeight(ctx context.Context, readers []chainReader, heights []int64, ref int, h int64,
	seen map[string][]int64, votes map[voteSlot]voteSeen) error {
	var first *types.Block
	var firstNode int
	for k, r := range readers {
		if heights[k] < h {
			continue
		}
		b, err := r.cl.Block(ctx, &h)
		if err != nil {
			return fmt.Errorf("node %d block %d: %w", r.node, h, err)
		}
		if first == nil {
			first, firstNode = b.Block, r.node
		} else if !bytes.Equal(b.Block.Hash(), first.Hash()) || !bytes.Equal(b.Block.AppHash, first.AppHash) {
			res.Forks = append(res.Forks, fmt.Sprintf("fork at height %d: node %d has block %X (app hash %X), node %d has %X (app hash %X)",
				h, r.node, b.Block.Hash(), b.Block.AppHash, firstNode, first.Hash(), first.AppHash))
		}
		if k == ref {
			for _, tx := range b.Block.Txs {
				seen[string(tx)] = append(seen[string(tx)], h)
			}
			for _, ev := range b.Block.Evidence.Evidence {
				if dve, ok := ev.(*types.DuplicateVoteEvidence); ok {
					res.Evidence[dve.VoteA.ValidatorAddress.String()]++
				}
			}
		}
		if err := res.checkCommit(ctx, r, h, b.Block.ValidatorsHash, votes); err != nil {
			return err
		}
	}
	return nil
}

// checkCommit verifies the commit node r serves for h with CometBFT's
// VerifyCommit and records its signatures to find conflicting votes.
func (res *ChainCheck) checkCommit(ctx context.Context, r chainReader, h int64, valsHash []byte, votes map[voteSlot]voteSeen) error {
	c, err := r.cl.Commit(ctx, &h)
	if err != nil {
		return fmt.Errorf("node %d commit %d: %w", r.node, h, err)
	}
	set := r.sets[string(valsHash)]
	if set == nil {
		vals, err := r.cl.Validators(ctx, &h, nil, nil)
		if err != nil {
			return fmt.Errorf("node %d validators %d: %w", r.node, h, err)
		}
		if set, err = types.ValidatorSetFromExistingValidators(vals.Validators); err != nil {
			return err
		}
		if !bytes.Equal(set.Hash(), valsHash) {
			return fmt.Errorf("node %d: the validators it serves for height %d do not hash to the block's %X", r.node, h, valsHash)
		}
		r.sets[string(valsHash)] = set
	}
	if err := set.VerifyCommit(c.ChainID, c.Commit.BlockID, h, c.Commit); err != nil {
		res.BadCommits = append(res.BadCommits, fmt.Sprintf("node %d: commit of height %d does not verify: %v", r.node, h, err))
	}
	for _, s := range c.Commit.Signatures {
		if s.BlockIDFlag != types.BlockIDFlagCommit {
			continue
		}
		slot := voteSlot{s.ValidatorAddress.String(), h, c.Commit.Round}
		prev, ok := votes[slot]
		switch {
		case !ok:
			votes[slot] = voteSeen{block: c.Commit.BlockID, sig: s.Signature, node: r.node}
		case !prev.block.Equals(c.Commit.BlockID):
			res.DoubleSigns = append(res.DoubleSigns, fmt.Sprintf("validator %s signed precommits for two blocks at height %d round %d (%X on node %d, %X on node %d)",
				slot.validator, h, slot.round, prev.block.Hash, prev.node, c.Commit.BlockID.Hash, r.node))
		case !bytes.Equal(prev.sig, s.Signature):
			res.Resigned++
			votes[slot] = voteSeen{block: c.Commit.BlockID, sig: s.Signature, node: r.node}
		}
	}
	return nil
}

// WaitCommitted waits until node holds every transaction of txs in its
// chain, or timeout passes; it returns those still missing.
func (c *Cluster) WaitCommitted(ctx context.Context, node int, txs []string, timeout time.Duration) ([]string, error) {
	cl, err := c.Client(node)
	if err != nil {
		return txs, err
	}
	want := map[string]bool{}
	for _, tx := range txs {
		want[tx] = true
	}
	deadline := time.Now().Add(timeout)
	next := int64(1)
	for len(want) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		h, err := c.Height(ctx, node)
		for ; err == nil && next <= h; next++ {
			b, berr := cl.Block(ctx, &next)
			if berr != nil {
				err = berr
				break
			}
			for _, tx := range b.Block.Txs {
				delete(want, string(tx))
			}
		}
		if len(want) > 0 {
			time.Sleep(200 * time.Millisecond)
		}
	}
	missing := make([]string, 0, len(want))
	for tx := range want {
		missing = append(missing, tx)
	}
	sort.Strings(missing)
	return missing, nil
}
