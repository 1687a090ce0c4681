package engine

import "github.com/bftnode/bftnode/consensus"

// misbehave is nil in every normal build. Binaries built with the
// byzantine tag (for the fault suite only) set it from the environment:
// after each message the node sends, it may send what an honest validator
// never would (engine/byzantine.go).
var misbehave func(e *Engine, m consensus.Message)

// censor is nil in every normal build. With the byzantine tag it may be
// set from the environment (engine/byzantine.go): it takes the chosen
// transaction out of what the node reaps for its proposals, as a primary
// that censors it would.
var censor func(txs [][]byte) [][]byte
