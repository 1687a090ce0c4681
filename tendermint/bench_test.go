package tendermint

import (
	"fmt"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// heightInputs builds every input a validator (index self) gets in a height
// decided in round 0 without faults: the proposal (or the application's
// value when it proposes), the verdict, its own signed messages echoed back,
// everyone's prevotes and precommits, and the execution.
func heightInputs(vals *consensus.ValidatorSet, height int64, self int32) []consensus.Input {
	value := consensus.ID(fmt.Sprintf("block-%d", height))
	ts := time.Unix(1_700_000_000+height, 0).UTC()
	sig := []byte("signature-of-64-bytes-signature-of-64-bytes-signature-of-64-byte")
	proposer := vals.ProposerOf(0)
	prop := &consensus.Proposal{Height: height, POLRound: -1, Value: value, Proposer: proposer, Timestamp: ts, Signature: sig}
	var in []consensus.Input
	if proposer == self {
		in = append(in, consensus.ProposalReady{Height: height, Value: value}, consensus.Receive{Msg: prop})
	} else {
		in = append(in, consensus.Receive{Msg: prop}, consensus.Verdict{Height: height, Value: value, Valid: true})
	}
	for _, t := range []consensus.VoteType{consensus.Prevote, consensus.Precommit} {
		// Own vote first (the echo of the broadcast), then the others'.
		order := []int32{self}
		for i := int32(0); int(i) < vals.Size(); i++ {
			if i != self {
				order = append(order, i)
			}
		}
		for _, v := range order {
			in = append(in, consensus.Receive{Msg: &consensus.Vote{Type: t, Height: height, Value: value, Validator: v, Timestamp: ts, Signature: sig}})
		}
	}
	return append(in, consensus.Executed{Height: height, AppHash: []byte("app"), Next: vals.Next()})
}

func benchmarkHeights(b *testing.B, n int) {
	vals := validatorSet(b, equalPowers(n))
	self := int32(n - 1)
	cfg := DefaultConfig()
	c, err := New(cfg, vals.Validators[self].Address, vals, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := c.Step(consensus.Start{}); err != nil {
		b.Fatal(err)
	}
	// Inputs are built ahead in batches so that the timed loop is Step only.
	const batch = 256
	var queue [][]consensus.Input
	set, height := vals, int64(1)
	refill := func() {
		b.StopTimer()
		for len(queue) < batch {
			queue = append(queue, heightInputs(set, height, self))
			set, height = set.Next(), height+1
		}
		b.StartTimer()
	}
	inputs := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(queue) == 0 {
			refill()
		}
		for _, in := range queue[0] {
			if _, err := c.Step(in); err != nil {
				b.Fatalf("height %d: %T: %v", c.Status().Height, in, err)
			}
		}
		inputs += len(queue[0])
		queue = queue[1:]
	}
	b.StopTimer()
	if got := c.Status().Height; got != int64(b.N)+1 {
		b.Fatalf("at height %d after %d heights: the inputs did not decide", got, b.N)
	}
	b.ReportMetric(float64(inputs)/b.Elapsed().Seconds(), "inputs/s")
	b.ReportMetric(float64(inputs)/float64(b.N), "inputs/height")
}

// BenchmarkStep measures Step on heights of 4 and 10 validators decided in
// one round: one benchmark iteration is one height.
func BenchmarkStep(b *testing.B) {
	for _, n := range []int{4, 10} {
		b.Run(fmt.Sprintf("validators=%d", n), func(b *testing.B) { benchmarkHeights(b, n) })
	}
}
