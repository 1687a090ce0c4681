package metrics

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/types"
)

func TestServedMetricsUseCometBFTNames(t *testing.T) {
	m := New("cometbft", "test-chain", Sources{
		MempoolSize: func() int { return 7 },
		Peers:       func() int { return 3 },
		Round:       func() int32 { return 2 },
		Counters:    func() (int64, int64, int64, int64) { return 1, 2, 3, 4 },
		PEXCounters: func() (uint64, uint64) { return 5, 6 },
	})
	vals := types.NewValidatorSet([]*types.Validator{types.NewValidator(ed25519.GenPrivKey().PubKey(), 10)})
	now := time.Now()
	for h := int64(1); h <= 3; h++ {
		block := &types.Block{Header: types.Header{Height: h, Time: now.Add(time.Duration(h) * time.Second)},
			Data: types.Data{Txs: types.Txs{[]byte("a=1"), []byte("b=2")}}}
		m.BlockExecuted(block, vals, 5*time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, err := m.Serve(ctx, "127.0.0.1:0", 0, slog.Default())
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get("http://" + addr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, want := range []string{
		`cometbft_consensus_latest_block_height{chain_id="test-chain"} 3`,
		`cometbft_consensus_height{chain_id="test-chain"} 4`,
		`cometbft_consensus_total_txs{chain_id="test-chain"} 6`,
		`cometbft_consensus_num_txs{chain_id="test-chain"} 2`,
		`cometbft_consensus_validators{chain_id="test-chain"} 1`,
		`cometbft_consensus_block_interval_seconds_count{chain_id="test-chain"} 2`,
		`cometbft_mempool_size{chain_id="test-chain"} 7`,
		`cometbft_p2p_peers{chain_id="test-chain"} 3`,
		`cometbft_consensus_rounds{chain_id="test-chain"} 2`,
		`cometbft_bftnode_bad_messages_total{chain_id="test-chain"} 3`,
		`cometbft_p2p_pex_dropped_total{chain_id="test-chain"} 5`,
		`cometbft_p2p_pex_addrs_rejected_total{chain_id="test-chain"} 6`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("missing %s", want)
		}
	}
}

// The protocol label follows the protocol running at scrape time, so a
// chain that switches shows the new protocol on the next scrape.
func TestProtocolLabelFollowsASwitch(t *testing.T) {
	protocol := "tendermint"
	m := New("cometbft", "test-chain", Sources{
		Round:    func() int32 { return 1 },
		Protocol: func() string { return protocol },
	})
	scrape := func() string {
		fams, err := m.Registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, f := range fams {
			for _, mt := range f.GetMetric() {
				for _, l := range mt.GetLabel() {
					if l.GetName() == "protocol" {
						b.WriteString(f.GetName() + "=" + l.GetValue() + " ")
					}
				}
			}
		}
		return b.String()
	}
	if got := scrape(); got != "cometbft_consensus_protocol=tendermint cometbft_consensus_rounds=tendermint " {
		t.Errorf("before the switch: %q", got)
	}
	protocol = "pbft"
	if got := scrape(); got != "cometbft_consensus_protocol=pbft cometbft_consensus_rounds=pbft " {
		t.Errorf("after the switch: %q", got)
	}
}
