// Package node runs a bftnode node from its configuration: consensus engine,
// ABCI connection, p2p and RPC. This build of the package holds no node; Run
// says so.
package node
