package rpc

import (
	"fmt"
	"testing"

	"github.com/bftnode/bftnode/rpc/rpctest"
)

// reference reads a capture of a real CometBFT v0.38.26 node's answers.
func reference(t *testing.T, name string) []byte {
	t.Helper()
	b, err := rpctest.Reference(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sameShape(t *testing.T, name string, want, got []byte) {
	t.Helper()
	rpctest.SameShape(t, name, want, got)
}

// TestReferenceShapes calls each captured route the way it was captured and
// compares the answer's shape with CometBFT's.
func TestReferenceShapes(t *testing.T) {
	tn := newTestNode(t, nil)
	chain := rpctest.Chain{
		TxHeight: txBlock, TxHash: fmt.Sprintf("%X", tn.blocks[txBlock-1].Txs[2].Hash()), EmptyHeight: 3,
		MissingHeight: 99999, Key: "name", BadTx: "bad=1",
	}
	for _, g := range rpctest.ReferenceGets(chain) {
		status, body := tn.get(t, g.Path)
		if status != 200 && !rpctest.FailsByDesign(g.File) {
			t.Errorf("%s: status %d: %s", g.Path, status, body)
		}
		sameShape(t, g.File, reference(t, g.File), body)
	}
	for _, p := range rpctest.ReferencePosts(chain) {
		status, body := tn.post(t, p.Body)
		if status != 200 {
			t.Errorf("%s: status %d: %s", p.Body, status, body)
		}
		sameShape(t, p.File, reference(t, p.File), body)
	}
}
