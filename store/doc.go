// Package store keeps a node's decided blocks and chain state in goleveldb
// databases, written with fsync so that what a call reported saved survives
// a crash.
//
// # Block store (data/blockstore.db)
//
// Heights are encoded as 8-byte big-endian integers so that keys of one
// kind sort by height and pruning walks a key range. Values are CometBFT
// v0.38 protobuf messages.
//
//	0x01                    store range: tendermint.store.BlockStoreState {base, height}
//	'B' height              block: tendermint.types.Block
//	'M' height              block meta: tendermint.types.BlockMeta (BlockID, size, header, tx count)
//	'H' block hash          height of the block with that hash (8 bytes)
//	'C' height              canonical commit of height, taken from block height+1's LastCommit
//	'S' height              seen commit: the commit this node saw decide the block at height,
//	                        with the precommits that arrived after the decision
//	'E' height              the seen commit with vote extensions: tendermint.types.ExtendedCommit
//
// SaveBlock writes all entries of one block and the new range in a single
// batch with sync, so a crash leaves a block either fully stored or absent.
//
// # State store (data/state.db)
//
//	0x01                    latest state: format byte + tendermint.state.State
//	0x02                    last FinalizeBlock height (8 bytes): how far execution got
//	0x03                    last height whose app Commit returned (8 bytes, not synced)
//	0x04                    last height whose app Commit was sent (8 bytes, not synced)
//	0x05                    height state sync bootstrapped the node at (8 bytes); absent otherwise
//	'V' height              validators of height: tendermint.state.ValidatorsInfo
//	'P' height              consensus params of height: tendermint.state.ConsensusParamsInfo
//	'R' height              FinalizeBlock response of height: tendermint.abci.ResponseFinalizeBlock
//
// A ValidatorsInfo holds the full set only where it changed or at every
// checkpointInterval-th height; elsewhere it holds the height it last
// changed at, and the set is rebuilt by advancing that set's proposer
// priorities one step per height in between (which is how the state moves
// its sets along). Consensus params are stored the same way without the
// checkpoints.
//
// # Evidence store (data/evidence.db)
//
//	0x01                    last height whose block's evidence is recorded (8 bytes)
//	'p' height hash         evidence waiting for a block: tendermint.types.Evidence
//	'c' hash                evidence a block carried: its height (8 bytes) and time (8 bytes,
//	                        Unix nanoseconds), kept until it expires
//
// A node bootstrapped by state sync at height h holds no block up to h:
// its block store starts at h+1, with the seen commit of h stored beside
// it ('S' h) for the LastCommit of block h+1, and its state store holds
// the sets of h, h+1 and h+2 (Bootstrap).
//
// The ABCI handshake compares three heights to decide what to replay: the
// block store's Height, the state's LastBlockHeight and the app's. The
// state store's LastFinalizedHeight tells whether the node crashed between
// saving a FinalizeBlock response and saving the state; its response lets
// the node finish that block without executing it again.
package store
