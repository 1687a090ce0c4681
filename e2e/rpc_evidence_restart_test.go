package e2e

import (
	"bytes"
	"testing"
)

// restartEquivocator signs the evidence of testEvidenceAcrossRestart; it
// is another validator than testEvidence's, whose power already fell.
const restartEquivocator = 2

// testEvidenceAcrossRestart halts the chain, submits evidence to the full
// node and stops every node before any block could carry it: the evidence
// lives only in the full node's evidence store. Once all are started
// again, it must reach exactly one block, and the app (kvstore lowers
// the validator's power by one per misbehavior) exactly once.
func testEvidenceAcrossRestart(t *testing.T, n *rpcNet) {
	key := loadValidatorKey(t, n, restartEquivocator)
	h := n.height(t, 0)
	if err := n.waitHeight(fullNode, h); err != nil {
		t.Fatal(err)
	}
	power := validatorPower(t, n, h, key.Address)
	ev := duplicateVote(t, n, key.PrivKey, h)

	// Two of four equal validators down: no quorum, no block.
	for _, i := range []int{2, 3} {
		if err := n.Stop(i); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := n.clients[fullNode].BroadcastEvidence(n.ctx, ev); err != nil {
		t.Fatalf("broadcast_evidence: %v", err)
	}
	for _, i := range []int{0, 1, fullNode} {
		if err := n.Stop(i); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n.Nodes {
		if err := n.Start(i); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n.Nodes {
		if err := n.waitHeight(i, h); err != nil {
			t.Fatal(err)
		}
	}
	at := n.waitEvidenceInBlock(t, h+1, ev)
	results, err := n.clients[0].BlockResults(n.ctx, &at)
	if err != nil {
		t.Fatal(err)
	}
	lowered := 0
	for _, u := range results.ValidatorUpdates {
		if pk, err := cryptoPubKey(u); err == nil && bytes.Equal(pk.Address(), key.Address) && u.Power == power-1 {
			lowered++
		}
	}
	if lowered != 1 {
		t.Fatalf("block_results(%d) lowers %X to %d %d times, want once: %+v", at, key.Address, power-1, lowered, results.ValidatorUpdates)
	}
	top := n.height(t, 0)
	if err := n.waitHeight(0, top+3); err != nil {
		t.Fatal(err)
	}
	for hh := h + 1; hh <= top+3; hh++ {
		if hh == at {
			continue
		}
		b, err := n.clients[0].Block(n.ctx, &hh)
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range b.Block.Evidence.Evidence {
			if bytes.Equal(got.Hash(), ev.Hash()) {
				t.Errorf("the evidence is in block %d as well as in block %d", hh, at)
			}
		}
	}
	if got := validatorPower(t, n, at+2, key.Address); got != power-1 {
		t.Errorf("validator %X has power %d at height %d, want %d: punished once", key.Address, got, at+2, power-1)
	}
}
