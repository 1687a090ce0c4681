// Package localnet runs a whole bftnode network on this machine: it
// generates the validators' homes on loopback, starts one application
// process (the built-in kvstore over a unix socket) and one node process per
// validator, sends a light load of transactions, and prints a live status
// line until it is interrupted, when it stops every process it started.
package localnet
