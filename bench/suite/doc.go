// Package suite runs the side-by-side benchmark behind `make bench`: it
// installs CometBFT, finds CometBFT's best timeout_commit, starts each
// network in turn (CometBFT, then bftnode with each protocol), runs the
// same workloads against each with the bench load generator, samples the
// nodes' memory during saturation, and writes the results as JSON, one
// chart per workload and BENCHMARKS.md.
package suite
