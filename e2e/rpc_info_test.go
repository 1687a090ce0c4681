package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"
)

// testNodeInfo checks status, net_info, health and abci_info on every node:
// one chain, each node's own identity and validator key, heights that agree
// with the app's.
func testNodeInfo(t *testing.T, n *rpcNet) {
	gen, err := n.clients[0].Genesis(n.ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	for i, cl := range n.clients {
		if _, err := cl.Health(n.ctx); err != nil {
			t.Errorf("health of node %d: %v", i, err)
		}
		st, err := cl.Status(n.ctx)
		if err != nil {
			t.Fatalf("status of node %d: %v", i, err)
		}
		ni, sync, vi := st.NodeInfo, st.SyncInfo, st.ValidatorInfo
		if ni.Network != gen.Genesis.ChainID || ni.Moniker == "" || !st.TxIndexEnabled() || sync.CatchingUp {
			t.Errorf("node %d status: network %q moniker %q tx_index %q catching_up %v", i, ni.Network, ni.Moniker, ni.Other.TxIndex, sync.CatchingUp)
		}
		if prev, dup := ids[string(ni.DefaultNodeID)]; dup {
			t.Errorf("nodes %d and %d have the same node id %s", prev, i, ni.DefaultNodeID)
		}
		ids[string(ni.DefaultNodeID)] = i
		if sync.EarliestBlockHeight != gen.Genesis.InitialHeight || sync.LatestBlockHeight < 2 ||
			sync.LatestBlockTime.Before(sync.EarliestBlockTime) {
			t.Errorf("node %d sync_info: %+v", i, sync)
		}
		wantPower := int64(0)
		if i < rpcValidators {
			wantPower = gen.Genesis.Validators[validatorIndex(t, gen.Genesis, vi.Address)].Power
		}
		if vi.PubKey == nil || !bytes.Equal(vi.PubKey.Address(), vi.Address) || vi.VotingPower != wantPower {
			t.Errorf("node %d validator_info: %+v, want power %d", i, vi, wantPower)
		}
		checkLatestBlock(t, n, i, sync.LatestBlockHeight, sync.LatestBlockHash, sync.LatestAppHash)

		net, err := cl.NetInfo(n.ctx)
		if err != nil {
			t.Fatalf("net_info of node %d: %v", i, err)
		}
		if !net.Listening || len(net.Listeners) == 0 || net.NPeers != len(net.Peers) || net.NPeers < rpcValidators-1 {
			t.Errorf("node %d net_info: listening %v listeners %v n_peers %d peers %d", i, net.Listening, net.Listeners, net.NPeers, len(net.Peers))
		}
		for _, p := range net.Peers {
			if p.NodeInfo.DefaultNodeID == ni.DefaultNodeID || p.NodeInfo.Network != ni.Network || p.RemoteIP != "127.0.0.1" {
				t.Errorf("node %d lists peer %+v", i, p.NodeInfo)
			}
		}

		info, err := cl.ABCIInfo(n.ctx)
		if err != nil {
			t.Fatalf("abci_info of node %d: %v", i, err)
		}
		// Status shows a height once the chain state moved past it, just
		// before the app commits it: the app may be one behind the status
		// read before, and is never ahead of the status read after.
		if h := info.Response.LastBlockHeight; h < sync.LatestBlockHeight-1 || h > n.height(t, i) {
			t.Errorf("node %d: the app's last height %d is outside [status %d - 1, now %d]", i, h, sync.LatestBlockHeight, n.height(t, i))
		}
		if !strings.Contains(info.Response.Data, "size") {
			t.Errorf("node %d abci_info data %q is not kvstore's", i, info.Response.Data)
		}
	}
	if len(ids) != len(n.Nodes) {
		t.Errorf("%d distinct node ids for %d nodes", len(ids), len(n.Nodes))
	}
}

// checkLatestBlock checks that the hash and app hash status gave for node
// i's latest height are those of the block there.
func checkLatestBlock(t *testing.T, n *rpcNet, i int, h int64, hash, appHash []byte) {
	t.Helper()
	b, err := n.clients[i].Block(n.ctx, &h)
	if err != nil {
		t.Fatalf("block %d of node %d: %v", h, i, err)
	}
	if !bytes.Equal(b.BlockID.Hash, hash) || !bytes.Equal(b.Block.AppHash, appHash) {
		t.Errorf("node %d: status says block %d is %X (app hash %X), block says %X (%X)", i, h, hash, appHash, b.BlockID.Hash, b.Block.AppHash)
	}
}

func validatorIndex(t *testing.T, gen *types.GenesisDoc, addr []byte) int {
	t.Helper()
	for i, v := range gen.Validators {
		if bytes.Equal(v.Address, addr) {
			return i
		}
	}
	t.Fatalf("%X is not a genesis validator", addr)
	return -1
}

// testGenesis checks genesis and genesis_chunked against the home's
// genesis.json.
func testGenesis(t *testing.T, n *rpcNet) {
	want, err := types.GenesisDocFromFile(n.Nodes[0].Home + "/config/genesis.json")
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, err := cmtjson.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	for i, cl := range n.clients {
		gen, err := cl.Genesis(n.ctx)
		if err != nil {
			t.Fatalf("genesis of node %d: %v", i, err)
		}
		got, err := cmtjson.Marshal(gen.Genesis)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, wantJSON) {
			t.Errorf("node %d genesis:\n got %s\nwant %s", i, got, wantJSON)
		}
		if len(gen.Genesis.Validators) != rpcValidators {
			t.Errorf("node %d: %d genesis validators", i, len(gen.Genesis.Validators))
		}
		chunk, err := cl.GenesisChunked(n.ctx, 0)
		if err != nil {
			t.Fatalf("genesis_chunked of node %d: %v", i, err)
		}
		data, err := base64.StdEncoding.DecodeString(chunk.Data)
		if err != nil || chunk.TotalChunks != 1 || chunk.ChunkNumber != 0 {
			t.Fatalf("node %d genesis_chunked: %d of %d, %v", i, chunk.ChunkNumber, chunk.TotalChunks, err)
		}
		var fromChunk types.GenesisDoc
		if err := cmtjson.Unmarshal(data, &fromChunk); err != nil {
			t.Fatalf("node %d: the genesis chunk is not a genesis document: %v", i, err)
		}
		if fromChunk.ChainID != want.ChainID || len(fromChunk.Validators) != rpcValidators {
			t.Errorf("node %d genesis chunk: %s", i, data)
		}
		if _, err := cl.GenesisChunked(n.ctx, 1); err == nil {
			t.Errorf("node %d answered a genesis chunk that does not exist", i)
		}
	}
}

// testValidators pages through the validator set of a decided height and
// of the next one, and compares it with the genesis set.
func testValidators(t *testing.T, n *rpcNet) {
	gen, err := n.clients[0].Genesis(n.ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := int64(2)
	for i, cl := range n.clients {
		got := map[string]int64{}
		perPage := 3
		for page := 1; page <= 2; page++ {
			res, err := cl.Validators(n.ctx, &h, &page, &perPage)
			if err != nil {
				t.Fatalf("node %d validators page %d: %v", i, page, err)
			}
			wantCount := min(perPage, rpcValidators-(page-1)*perPage)
			if res.BlockHeight != h || res.Total != rpcValidators || res.Count != wantCount || len(res.Validators) != wantCount {
				t.Errorf("node %d validators page %d: height %d count %d total %d, %d listed", i, page, res.BlockHeight, res.Count, res.Total, len(res.Validators))
			}
			for _, v := range res.Validators {
				if _, dup := got[string(v.Address)]; dup {
					t.Errorf("node %d lists validator %X on two pages", i, v.Address)
				}
				got[string(v.Address)] = v.VotingPower
			}
		}
		for _, v := range gen.Genesis.Validators {
			if p, ok := got[string(v.Address)]; !ok || p != v.Power {
				t.Errorf("node %d: genesis validator %X with power %d is listed with %d (listed: %v)", i, v.Address, v.Power, p, ok)
			}
		}
		page, perPage := 3, 3
		if _, err := cl.Validators(n.ctx, &h, &page, &perPage); err == nil || !strings.Contains(err.Error(), "page should be within [1, 2] range, given 3") {
			t.Errorf("node %d validators beyond the last page: %v", i, err)
		}
		// Without a height: the set of the height being decided, which
		// hashes to the latest header's next_validators_hash.
		res, err := cl.Validators(n.ctx, nil, nil, nil)
		if err != nil {
			t.Fatalf("node %d validators: %v", i, err)
		}
		latest := res.BlockHeight - 1
		hdr, err := cl.Header(n.ctx, &latest)
		if err != nil {
			t.Fatalf("node %d header %d: %v", i, latest, err)
		}
		set := types.NewValidatorSet(res.Validators)
		if !bytes.Equal(set.Hash(), hdr.Header.NextValidatorsHash) {
			t.Errorf("node %d: the validators of height %d hash to %X, header %d says %X", i, res.BlockHeight, set.Hash(), latest, hdr.Header.NextValidatorsHash)
		}
	}
}

// testConsensusViews checks consensus_params, consensus_state and
// dump_consensus_state.
func testConsensusViews(t *testing.T, n *rpcNet) {
	gen, err := n.clients[0].Genesis(n.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, cl := range n.clients {
		h := int64(2)
		params, err := cl.ConsensusParams(n.ctx, &h)
		if err != nil {
			t.Fatalf("node %d consensus_params: %v", i, err)
		}
		if params.BlockHeight != h || params.ConsensusParams.Hash() == nil ||
			!bytes.Equal(params.ConsensusParams.Hash(), gen.Genesis.ConsensusParams.Hash()) {
			t.Errorf("node %d consensus_params at %d: %+v, genesis %+v", i, h, params.ConsensusParams, gen.Genesis.ConsensusParams)
		}
		hdr, err := cl.Header(n.ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(params.ConsensusParams.Hash(), hdr.Header.ConsensusHash) {
			t.Errorf("node %d: consensus params hash %X, header %d says %X", i, params.ConsensusParams.Hash(), h, hdr.Header.ConsensusHash)
		}
		before := n.height(t, i)
		cs, err := cl.ConsensusState(n.ctx)
		if err != nil {
			t.Fatalf("node %d consensus_state: %v", i, err)
		}
		checkRoundState(t, n, i, cs.RoundState, before)
		dump, err := cl.DumpConsensusState(n.ctx)
		if err != nil {
			t.Fatalf("node %d dump_consensus_state: %v", i, err)
		}
		checkRoundState(t, n, i, dump.RoundState, before)
		// CometBFT's client decodes an empty list as nil: look at the
		// answer itself.
		if _, body := n.get(t, i, "/dump_consensus_state"); !bytes.Contains(body, []byte(`"peers":[`)) {
			t.Errorf("node %d dump_consensus_state: peers is not a list: %s", i, body)
		}
	}
}

// checkRoundState checks that a round state names the running protocol and
// a height past the latest block seen before asking.
func checkRoundState(t *testing.T, n *rpcNet, i int, raw json.RawMessage, before int64) {
	t.Helper()
	var rs struct {
		Protocol string `json:"protocol"`
		HRS      string `json:"height/round/step"`
		Proposer struct {
			Address string `json:"address"`
		} `json:"proposer"`
		Votes []struct {
			Prevotes         []string `json:"prevotes"`
			PrevotesBitArray string   `json:"prevotes_bit_array"`
		} `json:"height_vote_set"`
	}
	if err := json.Unmarshal(raw, &rs); err != nil {
		t.Fatalf("node %d round state %s: %v", i, raw, err)
	}
	parts := strings.Split(rs.HRS, "/")
	if len(parts) != 3 {
		t.Fatalf("node %d height/round/step %q", i, rs.HRS)
	}
	h, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || h <= before || h > n.height(t, i)+1 {
		t.Errorf("node %d: round state at height %q, latest block was %d before asking", i, rs.HRS, before)
	}
	if rs.Protocol != n.protocol || rs.Proposer.Address == "" {
		t.Errorf("node %d round state: %s", i, raw)
	}
	// Tendermint shows who voted in the current round, as CometBFT does.
	if n.protocol == "tendermint" {
		prefix := fmt.Sprintf("BA{%d:", rpcValidators)
		if len(rs.Votes) != 1 || len(rs.Votes[0].Prevotes) != rpcValidators || !strings.HasPrefix(rs.Votes[0].PrevotesBitArray, prefix) {
			t.Errorf("node %d height_vote_set: %s", i, raw)
		}
	}
}

// testBlockchainInfo checks blockchain's window over the chain against
// block.
func testBlockchainInfo(t *testing.T, n *rpcNet) {
	cl := n.clients[1]
	if err := n.waitHeight(1, 3); err != nil {
		t.Fatal(err)
	}
	res, err := cl.BlockchainInfo(n.ctx, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if res.LastHeight < 3 || len(res.BlockMetas) != 3 {
		t.Fatalf("blockchain 1..3: last %d, %d metas", res.LastHeight, len(res.BlockMetas))
	}
	for j, meta := range res.BlockMetas {
		h := int64(3 - j) // newest first
		if meta.Header.Height != h {
			t.Errorf("blockchain meta %d is height %d, want %d", j, meta.Header.Height, h)
		}
		b, err := cl.Block(n.ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		if !meta.BlockID.Equals(b.BlockID) || !bytes.Equal(meta.Header.Hash(), b.BlockID.Hash) || meta.NumTxs != len(b.Block.Txs) {
			t.Errorf("blockchain meta of %d: %v (%d txs), block says %v (%d txs)", h, meta.BlockID, meta.NumTxs, b.BlockID, len(b.Block.Txs))
		}
		if meta.BlockSize != b.Block.Size() {
			t.Errorf("blockchain meta of %d: block_size %d, the block has %d bytes", h, meta.BlockSize, b.Block.Size())
		}
	}
	all, err := cl.BlockchainInfo(n.ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all.BlockMetas) != int(min(all.LastHeight, 20)) || all.BlockMetas[0].Header.Height != all.LastHeight {
		t.Errorf("blockchain 0..0: last %d, %d metas from %d", all.LastHeight, len(all.BlockMetas), all.BlockMetas[0].Header.Height)
	}
	if _, err := cl.BlockchainInfo(n.ctx, 5, 2); err == nil || !strings.Contains(err.Error(), "min height 5 can't be greater than max height 2") {
		t.Errorf("blockchain 5..2: %v", err)
	}
}
