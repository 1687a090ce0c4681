package engine

import "github.com/bftnode/bftnode/consensus"

// misbehave is nil in every normal build. Binaries built with the
// byzantine tag (for the fault suite only) set it from the environment:
// after each message the node sends, it may send what an honest validator
// never would (engine/byzantine.go).
var misbehave func(e *Engine, m consensus.Message)
