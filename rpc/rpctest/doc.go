// Package rpctest holds what tests of the JSON-RPC share: the answers of a
// real CometBFT v0.38.26 node captured in rpc/testdata/cometbft-v0.38, and
// the comparison of an answer's shape with them (the same keys at every
// level and the same kinds of values). The rpc package's tests use it
// against a server over a stored chain, the e2e tests against running
// networks.
package rpctest
