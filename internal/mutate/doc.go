// Package mutate is bftnode's mutation testing of the consensus cores. It
// finds the conditions and state updates of pbft/, tendermint/ and
// consensus/ that a single-token change can break (comparison boundaries,
// equality, && and ||, negations, constants of quorum arithmetic, writes
// to a core's fields), builds every such mutant through `go build
// -overlay` (the tree is never copied or changed, so mutants build and run
// in parallel), and asks whether the simulator (every scenario family of
// the protocols the mutated package runs in, a bounded number of seeds
// each) and the package's unit tests notice.
//
// A mutant the simulator does not kill is either equivalent (no behaviour
// changed that any run could observe) or a hole in the simulator's
// scenarios; reasons.txt records, for each survivor that is known to be
// equivalent, why. Sites in the functions that carry the protocols' safety
// arguments (safety.go) are labelled safety-relevant: each of them must be
// killed by the simulator alone.
//
// The command bftmutate and `make mutate` are built on it.
package mutate
