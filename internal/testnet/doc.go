// Package testnet writes the home directories of a test network: one
// directory per node with its own keys and config, a genesis shared by all
// naming the validators, and persistent_peers linking every node to every
// other, as CometBFT's testnet command does.
//
// Two address layouts are offered. By default node i is at its own host
// (starting IP + i, or hostname-prefix + i) on the standard ports: 26656
// p2p, 26657 RPC, 26658 app, 26660 metrics. With a base port B, every node
// shares one host and node i uses B+10i (p2p), B+10i+1 (RPC), B+10i+2 (app)
// and B+10i+3 (metrics), so a whole network runs on 127.0.0.1.
package testnet
