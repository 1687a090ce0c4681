// Package statetest builds signed test chains: deterministic ed25519
// validator keys, genesis documents, and blocks made, validated and executed
// with package state, each with a commit signed by its validators. Tests of
// the state, the stores and the engine use it.
package statetest
