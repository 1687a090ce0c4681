// Package e2e starts real bftnode networks for tests: the bftnode binary
// built from this module, one process per node, each validator backed by its
// own application process over a socket, all on loopback. Tests drive them
// through CometBFT's own RPC client, kill, pause and restart processes, and
// check what the chain holds afterwards.
package e2e
