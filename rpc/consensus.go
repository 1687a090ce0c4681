package rpc

import (
	"errors"
	"fmt"
	"strings"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	"github.com/cometbft/cometbft/types"
)

func (r *routes) roundStateJSON() ([]byte, error) {
	bz, err := cmtjson.Marshal(r.env.Consensus.RoundState())
	if err != nil {
		return nil, fmt.Errorf("encoding the consensus state: %w", err)
	}
	return bz, nil
}

func (r *routes) consensusState(*rpctypes.Context) (*coretypes.ResultConsensusState, error) {
	bz, err := r.roundStateJSON()
	if err != nil {
		return nil, err
	}
	return &coretypes.ResultConsensusState{RoundState: bz}, nil
}

func (r *routes) dumpConsensusState(*rpctypes.Context) (*coretypes.ResultDumpConsensusState, error) {
	bz, err := r.roundStateJSON()
	if err != nil {
		return nil, err
	}
	peers := r.env.Consensus.PeerStates()
	if peers == nil {
		peers = []coretypes.PeerStateInfo{}
	}
	return &coretypes.ResultDumpConsensusState{RoundState: bz, Peers: peers}, nil
}

func (r *routes) broadcastEvidence(_ *rpctypes.Context, ev types.Evidence) (*coretypes.ResultBroadcastEvidence, error) {
	if ev == nil {
		return nil, errors.New("no evidence was provided")
	}
	if err := ev.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("evidence.ValidateBasic failed: %w", err)
	}
	if r.env.Evidence == nil {
		return nil, errors.New("failed to add evidence: this node keeps no evidence pool")
	}
	if err := r.env.Evidence.AddEvidence(ev); err != nil {
		return nil, fmt.Errorf("failed to add evidence: %w", err)
	}
	return &coretypes.ResultBroadcastEvidence{Hash: ev.Hash()}, nil
}

func (r *routes) dialSeeds(_ *rpctypes.Context, seeds []string) (*coretypes.ResultDialSeeds, error) {
	if len(seeds) == 0 {
		return &coretypes.ResultDialSeeds{}, errors.New("no seeds provided")
	}
	r.logger.Info("dialing seeds", "seeds", seeds)
	if err := r.env.P2P.DialSeeds(seeds); err != nil {
		return &coretypes.ResultDialSeeds{}, err
	}
	return &coretypes.ResultDialSeeds{Log: "Dialing seeds in progress. See /net_info for details"}, nil
}

func (r *routes) dialPeers(_ *rpctypes.Context, peers []string, persistent, unconditional, private bool) (*coretypes.ResultDialPeers, error) {
	if len(peers) == 0 {
		return &coretypes.ResultDialPeers{}, errors.New("no peers provided")
	}
	for _, p := range peers {
		if id, _, ok := strings.Cut(p, "@"); !ok || id == "" {
			return &coretypes.ResultDialPeers{}, fmt.Errorf("address (%s) does not contain ID", p)
		}
	}
	r.logger.Info("dialing peers", "peers", peers, "persistent", persistent, "unconditional", unconditional, "private", private)
	if err := r.env.P2P.DialPeers(peers, persistent, unconditional, private); err != nil {
		return &coretypes.ResultDialPeers{}, err
	}
	return &coretypes.ResultDialPeers{Log: "Dialing peers in progress. See /net_info for details"}, nil
}
