package rpc

import (
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	cmtp2p "github.com/cometbft/cometbft/p2p"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
)

// statusResult is CometBFT's /status answer with two more keys in
// node_info.other: the consensus protocol deciding now and the chain's
// protocol schedule. CometBFT's clients ignore keys they do not know.
type statusResult struct {
	NodeInfo      statusNodeInfo          `json:"node_info"`
	SyncInfo      coretypes.SyncInfo      `json:"sync_info"`
	ValidatorInfo coretypes.ValidatorInfo `json:"validator_info"`
}

// statusNodeInfo is cmtp2p.DefaultNodeInfo field for field, with Other
// extended.
type statusNodeInfo struct {
	ProtocolVersion cmtp2p.ProtocolVersion `json:"protocol_version"`
	DefaultNodeID   cmtp2p.ID              `json:"id"`
	ListenAddr      string                 `json:"listen_addr"`
	Network         string                 `json:"network"`
	Version         string                 `json:"version"`
	Channels        cmtbytes.HexBytes      `json:"channels"`
	Moniker         string                 `json:"moniker"`
	Other           statusNodeInfoOther    `json:"other"`
}

type statusNodeInfoOther struct {
	TxIndex    string `json:"tx_index"`
	RPCAddress string `json:"rpc_address"`
	// ConsensusProtocol is "tendermint" or "pbft": the protocol deciding
	// the node's next height.
	ConsensusProtocol string `json:"consensus_protocol"`
	// ProtocolSchedule is "tendermint", or "tendermint,pbft@100" for a
	// chain that switches to PBFT at height 100.
	ProtocolSchedule string `json:"protocol_schedule"`
}

func newStatusNodeInfo(ni cmtp2p.DefaultNodeInfo, c Consensus) statusNodeInfo {
	protocol, schedule := c.Protocol()
	return statusNodeInfo{
		ProtocolVersion: ni.ProtocolVersion, DefaultNodeID: ni.DefaultNodeID, ListenAddr: ni.ListenAddr,
		Network: ni.Network, Version: ni.Version, Channels: ni.Channels, Moniker: ni.Moniker,
		Other: statusNodeInfoOther{
			TxIndex: ni.Other.TxIndex, RPCAddress: ni.Other.RPCAddress,
			ConsensusProtocol: protocol, ProtocolSchedule: schedule,
		},
	}
}
