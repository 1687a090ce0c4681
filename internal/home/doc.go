// Package home creates and maintains a node's home directory in CometBFT's
// layout: config/config.toml, config/genesis.json, config/node_key.json,
// config/priv_validator_key.json and data/ with priv_validator_state.json.
// It backs the init, show-node-id, show-validator and unsafe-reset-all
// commands.
//
// The key files use CometBFT's privval and p2p formats, written with
// CometBFT's JSON encoding, but are read and written here with errors
// returned: CometBFT's own loaders exit the process or panic on a bad file.
package home
