// Package purity holds the test that keeps the consensus cores pure state
// machines: no I/O, no clocks, no goroutines, no locks and nothing of the
// node around them. It has no code of its own.
package purity
