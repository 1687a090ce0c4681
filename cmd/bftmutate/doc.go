// Command bftmutate is the mutation testing of bftnode's consensus cores
// (see internal/mutate): it builds one mutant per condition or state update
// of consensus/, tendermint/ and pbft/, runs the simulator and the unit
// tests against each, and writes a readable report and every mutant's row.
//
//	bftmutate [-seeds N] [-parallel P] [-match REGEXP] [-safety] [-limit N] [-report FILE] [-raw FILE]
//	bftmutate -list
package main
