package pbft

import "github.com/bftnode/bftnode/consensus"

// evidence reports that one validator signed first and second, two
// different messages for one slot, and returns whether it did: nothing is
// reported if the two have different signers. Every caller pairs messages
// of one slot; the signer check is the last line of defence, because
// evidence accuses a validator and a pair of two validators' messages
// proves nothing against either.
func (c *Core) evidence(first, second consensus.Message) bool {
	if first == nil || second == nil || first.Signer() != second.Signer() {
		return false
	}
	c.emit(consensus.Evidence{First: first, Second: second})
	return true
}
