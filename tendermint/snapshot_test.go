package tendermint

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// suffixFrom returns acts from its first SaveSnapshot on.
func suffixFrom(t *testing.T, acts []consensus.Action) []consensus.Action {
	t.Helper()
	for i, a := range acts {
		if _, ok := a.(consensus.SaveSnapshot); ok {
			return acts[i:]
		}
	}
	t.Fatalf("no snapshot in %v", acts)
	return nil
}

// restartedAsEntered strips from a restarted core's actions the commit
// wait it schedules again (the entering instance scheduled it at the
// decision, and the crash lost it) after checking that it is there exactly
// when the height waits for it.
func restartedAsEntered(t *testing.T, c *Core, acts []consensus.Action) []consensus.Action {
	t.Helper()
	want := 0
	if c.Status().Step == "commit-wait" {
		want = 1
	}
	var out []consensus.Action
	got := 0
	for _, a := range acts {
		if st, ok := a.(consensus.SetTimeout); ok && st.Timeout.Kind == consensus.TimeoutCommit {
			if st.Timeout.Height != c.Status().Height || st.After != c.cfg.TimeoutCommit {
				t.Fatalf("restart scheduled %+v at height %d", st, c.Status().Height)
			}
			got++
			continue
		}
		out = append(out, a)
	}
	if got != want {
		t.Fatalf("restart in step %q scheduled %d commit waits, want %d", c.Status().Step, got, want)
	}
	return out
}

func TestSnapshot_RoundTripRebuildsTheHeight(t *testing.T) {
	h := newQuietValidator(t, []int64{5, 3, 2, 1}, 1, 3)
	h.cfg.RetransmitInterval = time.Second
	h.cfg.TimeoutCommit = time.Second
	h.start()
	h.decideHeight(valueA)
	h.execute("app-1")
	h.fire(consensus.TimeoutCommit, 0)
	h.decideHeight(valueB)
	// State that must survive: an early message, TxsAvailable, the app hash
	// and a retransmit sequence that moved.
	h.receive(h.sign(&consensus.Vote{Type: consensus.Prevote, Height: 3, Value: "block-C", Validator: h.others()[0], Timestamp: time.Unix(5, 7)}))
	// An early precommit keeps its vote extension, which the core carries.
	h.receive(h.sign(&consensus.Vote{Type: consensus.Precommit, Height: 3, Value: "block-C", Validator: h.others()[1], Timestamp: time.Unix(5, 8),
		Extension: []byte("ext"), ExtensionSignature: []byte("ext-sig")}))
	h.step(consensus.TxsAvailable{})
	h.step(consensus.TimeoutFired{Timeout: consensus.Timeout{Kind: consensus.TimeoutRetransmit}})
	acts := h.execute("app-2")
	snap := actionsOf[consensus.SaveSnapshot](acts)[0].State

	c, err := New(h.cfg, h.address(), h.vals, snap)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.snapshot()
	if err != nil || string(again) != string(snap) {
		t.Fatalf("re-encoded snapshot differs:\n%s\n%s", snap, again)
	}
	restarted, err := c.Step(consensus.Start{})
	if err != nil {
		t.Fatal(err)
	}
	if rt := timeouts(restarted, consensus.TimeoutRetransmit); len(rt) != 1 || rt[0].Timeout.Round != 1 {
		t.Fatalf("restarted core must re-arm the pending retransmit (seq 1): %+v", rt)
	}
	if c.Status().Step != "commit-wait" {
		t.Fatalf("restarted in step %q, want commit-wait", c.Status().Step)
	}
	restarted = restartedAsEntered(t, c, restarted)
	if !reflect.DeepEqual(suffixFrom(t, restarted), suffixFrom(t, acts)) {
		t.Fatalf("restart from the snapshot differs from entering the height:\n%v\n%v", suffixFrom(t, restarted), suffixFrom(t, acts))
	}
	if !reflect.DeepEqual(c.RoundState(), h.core.RoundState()) || c.Status() != h.core.Status() {
		t.Fatalf("round state differs:\n%+v\n%+v", c.RoundState(), h.core.RoundState())
	}
	if c.carry.appHashKnown != true || string(c.carry.appHash) != "app-2" || len(c.carry.buffered.msgs) != len(h.core.carry.buffered.msgs) {
		t.Fatalf("carried state lost: %+v", c.carry)
	}
	extended := false
	for _, m := range c.carry.buffered.msgs {
		if v, ok := m.msg.(*consensus.Vote); ok && string(v.Extension) == "ext" && string(v.ExtensionSignature) == "ext-sig" {
			extended = true
		}
	}
	if !extended {
		t.Fatal("the early precommit's vote extension was lost in the snapshot")
	}
}

func TestSnapshot_BadBytesAreRejected(t *testing.T) {
	h := newNonProposer(t, equalPowers(4), 1)
	acts := h.start()
	good := actionsOf[consensus.SaveSnapshot](acts)[0].State
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		out, _ := json.Marshal(m)
		return out
	}
	cases := map[string][]byte{
		"empty":          {},
		"garbage":        []byte("\x00\x01not json"),
		"truncated":      good[:len(good)/2],
		"wrong version":  edit(func(m map[string]any) { m["version"] = 2 }),
		"unknown field":  edit(func(m map[string]any) { m["surprise"] = true }),
		"height 0":       edit(func(m map[string]any) { m["height"] = 0 }),
		"no validators":  edit(func(m map[string]any) { m["validators"] = []any{} }),
		"proposer index": edit(func(m map[string]any) { m["proposer"] = 9 }),
		"negative seq":   edit(func(m map[string]any) { m["retransmit_seq"] = -1 }),
		"zero power": edit(func(m map[string]any) {
			m["validators"].([]any)[0].(map[string]any)["power"] = 0
		}),
		"bad buffered vote": edit(func(m map[string]any) {
			m["buffered"] = []any{map[string]any{"height": 1, "vote_type": 7, "round": 0, "signer": 0}}
		}),
		"buffered below height": edit(func(m map[string]any) {
			m["buffered"] = []any{map[string]any{"height": 0, "vote_type": 1, "round": 0, "signer": 0}}
		}),
	}
	for name, data := range cases {
		_, err := New(h.cfg, h.address(), h.vals, data)
		if !errors.Is(err, ErrBadSnapshot) {
			t.Errorf("%s: want ErrBadSnapshot, got %v", name, err)
		} else if !strings.Contains(err.Error(), "snapshot") {
			t.Errorf("%s: error %q does not name the snapshot", name, err)
		}
	}
	if _, err := New(h.cfg, h.address(), h.vals, good); err != nil {
		t.Fatalf("the good snapshot was rejected: %v", err)
	}
}

// TestReplay_IsDeterministic records a node's inputs, rebuilds it from its
// latest snapshot as a driver does after a crash (Start, then every input
// logged after the snapshot) and compares every action and the final state.
func TestReplay_IsDeterministic(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		net := newSimNet(t, simOptions{seed: seed, nodes: 4, heights: 4, dropRate: 0.2, timeoutCommit: seed%2 == 0})
		net.run()
		for _, n := range net.nodes {
			checkReplay(t, seed, n)
		}
	}
}

func checkReplay(t *testing.T, seed int64, n *simNode) {
	t.Helper()
	at, snap := n.lastSnapshot()
	c, err := New(n.cfg, n.address, n.genesis, snap)
	if err != nil {
		t.Fatalf("seed %d node %d: %v", seed, n.index, err)
	}
	acts, err := c.Step(consensus.Start{})
	if err != nil {
		t.Fatalf("seed %d node %d: restart: %v", seed, n.index, err)
	}
	acts = restartedAsEntered(t, c, acts)
	if !reflect.DeepEqual(suffixFrom(t, acts), suffixFrom(t, n.log[at].actions)) {
		t.Fatalf("seed %d node %d: restart differs from entering the height:\n%v\n%v", seed, n.index, acts, n.log[at].actions)
	}
	for i := at + 1; i < len(n.log); i++ {
		e := n.log[i]
		acts, err := c.Step(e.input)
		if (err == nil) != (e.err == nil) || !reflect.DeepEqual(acts, e.actions) {
			t.Fatalf("seed %d node %d: replaying input %d (%T%+v):\n got %v, %v\nwant %v, %v", seed, n.index, i, e.input, e.input, acts, err, e.actions, e.err)
		}
	}
	if !reflect.DeepEqual(c.RoundState(), n.core.RoundState()) {
		t.Fatalf("seed %d node %d: state after replay differs", seed, n.index)
	}
}
