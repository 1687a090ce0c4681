package pbft

import "github.com/bftnode/bftnode/consensus"

// evidence reports that one validator signed first and second, two
// different messages for one slot, or nothing if the two have different
// signers. Every caller pairs messages of one slot; the signer check is
// the last line of defence, because evidence accuses a validator and a
// pair of two validators' messages proves nothing against either.
func evidence(first, second consensus.Message) []consensus.Action {
	if first == nil || second == nil || first.Signer() != second.Signer() {
		return nil
	}
	return []consensus.Action{consensus.Evidence{First: first, Second: second}}
}
