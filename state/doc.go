// Package state holds the chain state of a bftnode node and its transition
// function: what the node must know about the latest decided block to build,
// validate and execute the next one.
//
// The package is pure logic over CometBFT v0.38 types (types.Block,
// types.ValidatorSet, types.ConsensusParams, abci.ResponseFinalizeBlock): no
// I/O, no clock, no goroutines. The header rules follow CometBFT v0.38 so that
// CometBFT light clients verify bftnode chains:
//
//   - AppHash of block h is the app hash after executing block h-1, and
//     LastResultsHash the Merkle root of h-1's deterministic tx results.
//   - Validator updates returned by FinalizeBlock at height h change
//     NextValidators, so they first sign at h+2.
//   - Consensus parameter updates returned at h apply from h+1.
//   - The commit of height h-1 travels in block h as LastCommit and is
//     verified against the validator set of h-1 (State.LastValidators).
//
// A State is a value: Update and the other transitions return a new State and
// never modify their argument.
package state
