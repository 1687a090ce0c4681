// Package wire turns bftnode's messages into bytes for the network and back,
// and defines the bytes a validator signs.
//
// Each p2p channel has one envelope (wirepb.ConsensusMessage,
// wirepb.MempoolMessage, wirepb.BlocksyncMessage; the snapshot and chunk
// channels carry CometBFT's own tendermint.statesync.Message). Decoding validates every
// field (heights, rounds, validator indices, signature and hash lengths,
// nested counts and the consistency of nested messages) and reports a
// violation as an error wrapping ErrInvalid, so a driver can drop the message
// and penalize the peer; it never panics on input from a peer.
//
// A value is a consensus.ID holding the bytes of a CometBFT BlockID (see
// EncodeID), so cores compare block IDs without knowing their shape. Votes
// and proposals are signed over CometBFT's canonical sign bytes, which makes a
// quorum of PBFT COMMITs or Tendermint precommits a types.Commit that
// types.ValidatorSet.VerifyCommit accepts.
package wire
