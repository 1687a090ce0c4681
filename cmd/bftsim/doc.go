// Command bftsim runs the deterministic simulator over bftnode's consensus
// cores: every scenario family, many seeds, a summary line per (protocol,
// family) and, for each failing seed, its violations and the command that
// replays it with a trace.
//
//	bftsim -protocol tendermint|pbft|tendermint-pbft|pbft-tendermint|all -scenario NAME|all -seeds N [-start S] [-parallel P]
//	bftsim -protocol pbft -scenario twins -seed 1234 -v
package main
