package engine

import (
	"context"
	"log/slog"
	"testing"

	"github.com/bftnode/bftnode/consensus"
)

// stubCore records its inputs and answers each with fixed actions; its
// height moves past an Executed input.
type stubCore struct {
	protocol string
	height   int64
	got      []consensus.Input
	answer   []consensus.Action
}

func (c *stubCore) Step(in consensus.Input) ([]consensus.Action, error) {
	c.got = append(c.got, in)
	if x, ok := in.(consensus.Executed); ok && x.Height == c.height {
		c.height++
	}
	return c.answer, nil
}

func (c *stubCore) Status() consensus.Status { return consensus.Status{Height: c.height} }

func switchingEngine(t *testing.T) (*Engine, *stubCore, *[]*stubCore) {
	t.Helper()
	first := &stubCore{protocol: "tendermint", height: 9}
	var built []*stubCore
	e := &Engine{
		cfg: Config{Schedule: consensus.Schedule{Protocol: "tendermint", SwitchHeight: 10, SwitchProtocol: "pbft"},
			NewCore: func(protocol string, _ []byte, first int64, _ *consensus.ValidatorSet, _ []byte) (consensus.Core, error) {
				c := &stubCore{protocol: protocol, height: first}
				built = append(built, c)
				return c, nil
			}},
		log: slog.Default(), core: first, protocol: "tendermint", verdicts: newVerdictWaits(), late: newLateVotes(),
		replaying: true, // nothing is logged or carried out: the test looks at the routing alone
	}
	return e, first, &built
}

func TestHandOverAtTheSwitchHeight(t *testing.T) {
	e, first, built := switchingEngine(t)
	ctx := context.Background()
	early := consensus.Receive{Msg: &consensus.Vote{Type: consensus.Prevote, Height: 10}}
	late := consensus.Receive{Msg: &consensus.Vote{Type: consensus.Precommit, Height: 9}}
	// A vote for the switch height waits while the first core finishes 9.
	if err := e.step(ctx, queued{in: early}); err != nil {
		t.Fatal(err)
	}
	if len(first.got) != 0 || len(e.held) != 1 {
		t.Fatalf("first core got %v, %d held; the vote for height 10 must wait", first.got, len(e.held))
	}
	// The first core may not sign, propose, ask or decide at 10.
	for _, a := range []consensus.Action{consensus.Broadcast{Msg: early.Msg}, consensus.RequestProposal{Height: 10},
		consensus.RequestVerdict{Height: 10}, consensus.Decide{Height: 10}} {
		if !e.beyondFirstCore(a) {
			t.Errorf("%T at the switch height is left to the first core", a)
		}
	}
	if e.beyondFirstCore(consensus.Broadcast{Msg: late.Msg}) {
		t.Error("the first core may not sign its own last height")
	}
	// Executed 9 hands over: the second core starts at 10, the held vote
	// follows (queued live; while replaying the log holds it).
	first.answer = []consensus.Action{consensus.RequestProposal{Height: 10}}
	if err := e.step(ctx, queued{in: consensus.Executed{Height: 9}}); err != nil {
		t.Fatal(err)
	}
	if len(*built) != 1 || (*built)[0].protocol != "pbft" || (*built)[0].height != 10 || e.protocol != "pbft" {
		t.Fatalf("after executing 9: built %v, running %s", *built, e.protocol)
	}
	second := (*built)[0]
	if _, ok := second.got[0].(consensus.Start); !ok || len(e.outstanding) != 0 {
		t.Errorf("second core's inputs %v, outstanding %v: it starts, and the first core's last actions are dropped", second.got, e.outstanding)
	}
	// The first core's leftovers never reach the second.
	if err := e.step(ctx, queued{in: late}); err != nil {
		t.Fatal(err)
	}
	if len(second.got) != 1 {
		t.Errorf("a precommit of height 9 reached the second core: %v", second.got)
	}
	if e.beyondFirstCore(consensus.Broadcast{Msg: early.Msg}) {
		t.Error("the second core's own messages are held back")
	}
}
