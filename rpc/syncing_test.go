package rpc

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/bftnode/bftnode/config"
)

// catchingUp is the consensus a node has while state sync restores a
// snapshot: none yet, catching up.
type catchingUp struct{ fakeConsensus }

func (catchingUp) IsCatchingUp() bool { return true }

func TestStateSyncingNodeServesStatusAndRefusesTheRest(t *testing.T) {
	tn := newTestNode(t, func(_ *config.RPCConfig, env *Env) {
		env.StateSyncing = true
		env.Mempool, env.App, env.EventBus, env.Evidence = nil, nil, nil, nil
		env.Consensus = catchingUp{}
	})
	if code, body := tn.get(t, "/health"); code != http.StatusOK {
		t.Fatalf("health: %d %s", code, body)
	}
	code, body := tn.get(t, "/status")
	if code != http.StatusOK {
		t.Fatalf("status: %d %s", code, body)
	}
	var status struct {
		Result struct {
			SyncInfo struct {
				CatchingUp bool `json:"catching_up"`
			} `json:"sync_info"`
			NodeInfo struct {
				Network string `json:"network"`
			} `json:"node_info"`
		} `json:"result"`
	}
	if err := json.Unmarshal(body, &status); err != nil {
		t.Fatal(err)
	}
	if !status.Result.SyncInfo.CatchingUp || status.Result.NodeInfo.Network == "" {
		t.Fatalf("status while state syncing: %s", body)
	}
	if code, body := tn.get(t, "/net_info"); code != http.StatusOK {
		t.Fatalf("net_info: %d %s", code, body)
	}
	for _, req := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"broadcast_tx_sync","params":{"tx":"YT0x"}}`, // the fast path's shape
		`{"jsonrpc":"2.0","id":2,"method":"broadcast_tx_commit","params":{"tx":"YT0x"}}`,
		`{"jsonrpc":"2.0","id":3,"method":"abci_query","params":{"path":"","data":"61"}}`,
		`{"jsonrpc":"2.0","id":4,"method":"consensus_state","params":{}}`,
	} {
		_, body := tn.post(t, req)
		if !strings.Contains(string(body), "Method not found") {
			t.Errorf("%s while state syncing answered %s; want method not found", req, body)
		}
	}
}
