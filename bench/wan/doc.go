// Package wan runs the wide-area benchmark behind `make bench-wan`:
// bftnode (both protocols) and CometBFT side by side, with every peer
// link through a shaped proxy (internal/faultproxy) that gives it the
// round trip, jitter and bandwidth of a latency matrix of regions.
//
// For each system and network size it measures a light and a saturating
// load (committed tx/s, send-to-commit latency, blocks/s), how many
// blocks' LastCommit carries every validator's signature, and how long
// the chain stands still after the proposer (PBFT: the primary) is
// killed. A sweep at one size over uniform round trips gives latency
// against RTT, drawn as an SVG. The report is one marked section of
// BENCHMARKS.md that a new run replaces and `make bench` keeps.
package wan
