// Package e2e starts real bftnode networks for tests: the bftnode binary
// built from this module, one process per node, each validator backed by its
// own application process over a socket, all on loopback. Tests drive them
// through CometBFT's own RPC client, kill, pause and restart processes, and
// check what the chain holds afterwards.
//
// TestRPCCompatibility is the JSON-RPC's proof against running networks of
// both protocols: every method of CometBFT's Go client, checked against the
// chain; the shapes of raw URI, JSON-RPC and batch answers against
// captures of a real CometBFT node (rpc/rpctest); errors for bad input;
// mempool, evidence and websocket routes; broadcast_tx_commit under many
// concurrent waiters. Set E2E_PROTOCOL to run one protocol only.
//
// The fault suite (TestFaults, make faults) runs 4 validators and a full
// node of either protocol, each backed by internal/casapp, with every peer
// link through a fault-injecting proxy (internal/faultproxy). Two
// workloads run throughout: unique writes acknowledged by
// broadcast_tx_sync or broadcast_tx_commit, and read / write /
// compare-and-set operations on a few registers, recorded for porcupine's
// linearizability checker. Each Scenario injects faults (signals,
// partitions, crash points of a binary built with the failpoint tag,
// damaged write-ahead logs, failing applications, RPC abuse, a validator
// built with the byzantine tag) and the checker then requires: every
// acknowledged transaction in the chain exactly once, the same blocks and
// application hashes on every node, commits that CometBFT's VerifyCommit
// accepts, no two commit signatures of one validator for one slot on
// different blocks, no evidence against an honest validator, a
// linearizable register history, no panic in any node's log, and a new
// block within RecoveryLimit of the last fault healing. The twins
// scenario is the positive control: it must make the checker report a
// fork.
package e2e
