package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/rpc/rpctest"
)

// testShapes calls each route the reference captures hold, the way it was
// captured (URI GET, JSON-RPC POST, a batch), on a validator and on the
// full node, and compares the answers' shapes with CometBFT's.
func testShapes(t *testing.T, n *rpcNet) {
	p := n.protocol
	committed, err := n.clients[0].BroadcastTxCommit(n.ctx, kvTx("shape-"+p, "yes"))
	if err != nil {
		t.Fatal(err)
	}
	txHeight, txHash := committed.Height, fmt.Sprintf("%X", committed.Hash)
	empty := n.emptyBlockHeight(t)
	for _, node := range []int{0, fullNode} {
		chain := rpctest.Chain{
			TxHeight: txHeight, TxHash: txHash, EmptyHeight: empty, MissingHeight: 99999999,
			Key: "shape-" + p, Unique: fmt.Sprintf("-shape-%s-%d", p, node), BadTx: "bad", Commit: true,
		}
		for _, g := range rpctest.ReferenceGets(chain) {
			status, body := n.get(t, node, g.Path)
			if status != http.StatusOK && !rpctest.FailsByDesign(g.File) {
				t.Errorf("node %d GET %s: status %d: %s", node, g.Path, status, body)
			}
			sameLiveShape(t, fmt.Sprintf("node %d %s", node, g.File), g.File, body)
		}
		for _, post := range rpctest.ReferencePosts(chain) {
			status, body := n.post(t, node, post.Body)
			if status != http.StatusOK {
				t.Errorf("node %d POST %s: status %d: %s", node, post.Body, status, body)
			}
			sameLiveShape(t, fmt.Sprintf("node %d %s", node, post.File), post.File, body)
		}
	}
}

// emptyBlockHeight finds a decided block without transactions.
func (n *rpcNet) emptyBlockHeight(t *testing.T) int64 {
	t.Helper()
	for h := int64(1); h <= n.height(t, 0); h++ {
		b, err := n.clients[0].Block(n.ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Block.Txs) == 0 {
			return h
		}
	}
	t.Fatal("no empty block in the chain")
	return 0
}

// sameLiveShape compares a live answer with the capture file. The capture
// comes from a one-validator chain whose commits are all signed; a live
// commit may list validators whose vote did not make it in, and CometBFT
// shows those with block_id_flag 1 and a null signature. Such entries are
// compared with CometBFT's own encoding of an absent signature instead.
//
// The genesis capture comes from `cometbft init`, which writes no
// app_state; the app state is whatever the genesis file holds, so it is
// left out of the comparison.
func sameLiveShape(t *testing.T, name, file string, got []byte) {
	t.Helper()
	want, err := rpctest.Reference(file)
	if err != nil {
		t.Fatal(err)
	}
	sameLiveShapeAs(t, name, want, got)
}

func sameLiveShapeAs(t *testing.T, name string, want, got []byte) {
	t.Helper()
	var decoded any
	if err := json.Unmarshal(got, &decoded); err != nil {
		t.Errorf("%s: the answer is not JSON: %v\n%s", name, err, got)
		return
	}
	for _, absent := range takeAbsentSignatures(decoded) {
		if d := rpctest.Diff(name+" absent signature", absentSignatureShape(t), absent); len(d) > 0 {
			t.Errorf("%s: an absent commit signature's shape differs from CometBFT's: %v", name, d)
		}
	}
	if m, ok := decoded.(map[string]any); ok {
		if res, ok := m["result"].(map[string]any); ok {
			if gen, ok := res["genesis"].(map[string]any); ok {
				delete(gen, "app_state")
			}
		}
	}
	stripped, err := json.Marshal(decoded)
	if err != nil {
		t.Fatal(err)
	}
	rpctest.SameShape(t, name, want, stripped)
}

// takeAbsentSignatures removes the entries with block_id_flag 1 from every
// "signatures" array in v and returns them.
func takeAbsentSignatures(v any) []any {
	var taken []any
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if sigs, ok := child.([]any); ok && k == "signatures" {
				kept := []any{}
				for _, s := range sigs {
					if m, ok := s.(map[string]any); ok && m["block_id_flag"] == float64(types.BlockIDFlagAbsent) {
						taken = append(taken, s)
						continue
					}
					kept = append(kept, s)
				}
				x[k] = kept
				continue
			}
			taken = append(taken, takeAbsentSignatures(child)...)
		}
	case []any:
		for _, child := range x {
			taken = append(taken, takeAbsentSignatures(child)...)
		}
	}
	return taken
}

// absentSignatureShape is CometBFT's JSON of an absent commit signature.
func absentSignatureShape(t *testing.T) any {
	t.Helper()
	raw, err := cmtjson.Marshal(types.NewCommitSigAbsent())
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}
