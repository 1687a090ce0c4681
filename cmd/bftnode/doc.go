// Command bftnode is a Byzantine-fault-tolerant consensus node for ABCI
// applications, running PBFT or Tendermint, with CometBFT v0.38's command
// line: init, start (node, run), testnet, show-node-id, show-validator,
// unsafe-reset-all and version.
//
// Every config.toml key is a flag of start named --section.key
// (--consensus.protocol, --rpc.laddr, --p2p.persistent_peers) or, for the
// keys at the top of the file, --key (--proxy_app, --moniker). A flag wins
// over the key's BFTNODE_SECTION_KEY environment variable, which wins over
// config.toml. The home directory is --home, else $BFTNODE_HOME, else
// ~/.bftnode.
//
// Build with the commit recorded:
//
//	go build -ldflags "-X github.com/bftnode/bftnode/internal/version.GitCommit=$(git rev-parse --short HEAD)" ./cmd/bftnode
//
// This package only wires commands to the packages that do the work
// (config, internal/home, internal/testnet, node).
package main
