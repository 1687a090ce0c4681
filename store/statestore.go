package store

import (
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/syndtr/goleveldb/leveldb"

	"github.com/bftnode/bftnode/state"
)

// StateStore keeps the latest chain state, the validator set and consensus
// parameters of every height, and the app's FinalizeBlock responses. Its
// methods are safe for concurrent use; Save and SaveFinalizeBlockResponse
// are expected from one goroutine, in height order.
type StateStore struct {
	db *leveldb.DB
}

// OpenStateStore opens or creates the state store in dir.
func OpenStateStore(dir string) (*StateStore, error) {
	db, err := openDB(dir, "state store")
	if err != nil {
		return nil, err
	}
	return &StateStore{db: db}, nil
}

// Close closes the database.
func (ss *StateStore) Close() error { return ss.db.Close() }

// Save stores s as the latest state, with the validator sets and consensus
// parameters it fixes for future heights, in one batch with fsync. The
// state must have validators: save the genesis state only once InitChain
// has supplied them (state.WithInitChain).
func (ss *StateStore) Save(s state.State) error {
	batch := new(leveldb.Batch)
	if err := putState(batch, s); err != nil {
		return err
	}
	if err := ss.db.Write(batch, syncWrite); err != nil {
		return fmt.Errorf("saving the state at height %d: %w", s.LastBlockHeight, err)
	}
	return nil
}

// SaveExecuted stores a block's FinalizeBlock response and the state after
// it, in one batch with fsync: the two never disagree after a crash, and a
// block costs one fsync here instead of two. Call it before the app's
// Commit.
func (ss *StateStore) SaveExecuted(resp *abci.ResponseFinalizeBlock, s state.State) error {
	batch := leveldb.MakeBatch(resp.Size() + 4096) // the response, the state and a little more
	if err := putFinalizeResponse(batch, s.LastBlockHeight, resp); err != nil {
		return err
	}
	if err := putState(batch, s); err != nil {
		return err
	}
	if err := ss.db.Write(batch, syncWrite); err != nil {
		return fmt.Errorf("saving block %d's results and state: %w", s.LastBlockHeight, err)
	}
	return nil
}

// putState adds s and the sets and parameters it fixes to batch.
func putState(batch *leveldb.Batch, s state.State) error {
	if s.Validators.IsNilOrEmpty() || s.NextValidators.IsNilOrEmpty() {
		return fmt.Errorf("saving the state at height %d: it has no validators", s.LastBlockHeight)
	}
	next := s.NextHeight()
	if s.LastBlockHeight == 0 {
		// Before the first block, Validators signs the initial height;
		// afterwards each save records only the newly fixed next set.
		if err := putValidators(batch, next, next, s.Validators); err != nil {
			return fmt.Errorf("saving the state: %w", err)
		}
	}
	if err := putValidators(batch, next+1, s.LastHeightValidatorsChanged, s.NextValidators); err != nil {
		return fmt.Errorf("saving the state: %w", err)
	}
	if err := putParams(batch, next, s.LastHeightConsensusParamsChanged, s.ConsensusParams); err != nil {
		return fmt.Errorf("saving the state: %w", err)
	}
	bz, err := s.Bytes()
	if err != nil {
		return fmt.Errorf("saving the state: %w", err)
	}
	batch.Put(stateKey, bz)
	return nil
}

// Load returns the latest saved state; ok is false if none was saved yet.
func (ss *StateStore) Load() (s state.State, ok bool, err error) {
	v, err := get(ss.db, stateKey)
	if err != nil || v == nil {
		return state.State{}, false, err
	}
	s, err = state.FromBytes(v)
	if err != nil {
		return state.State{}, false, fmt.Errorf("the stored state is corrupted: %w; restore the data directory from a backup, or discard it with `bftnode unsafe-reset-all` and resync", err)
	}
	return s, true, nil
}

// SaveFinalizeBlockResponse stores the app's FinalizeBlock response for
// height and marks height as the last one executed, in one batch with
// fsync. Call it before the app's Commit: if the node crashes after Commit,
// the handshake finishes the block from this response.
func (ss *StateStore) SaveFinalizeBlockResponse(height int64, resp *abci.ResponseFinalizeBlock) error {
	batch := new(leveldb.Batch)
	if err := putFinalizeResponse(batch, height, resp); err != nil {
		return err
	}
	if err := ss.db.Write(batch, syncWrite); err != nil {
		return fmt.Errorf("saving the FinalizeBlock response of height %d: %w", height, err)
	}
	return nil
}

// LoadFinalizeBlockResponse returns the FinalizeBlock response of height,
// or an error wrapping ErrNotFound.
func (ss *StateStore) LoadFinalizeBlockResponse(height int64) (*abci.ResponseFinalizeBlock, error) {
	v, err := get(ss.db, heightKey(prefixFinalizeRes, height))
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("FinalizeBlock response of height %d: %w", height, ErrNotFound)
	}
	resp := new(abci.ResponseFinalizeBlock)
	if err := resp.Unmarshal(v); err != nil {
		return nil, corrupted("FinalizeBlock response", height, err)
	}
	return resp, nil
}

// LastFinalizedHeight is the height of the last FinalizeBlock response
// saved, 0 if none: how far execution got, for the start-up handshake.
func (ss *StateStore) LastFinalizedHeight() (int64, error) {
	v, err := get(ss.db, lastFinalizeKey)
	if err != nil || v == nil {
		return 0, err
	}
	h, err := decodeHeight(v)
	if err != nil {
		return 0, fmt.Errorf("the stored last FinalizeBlock height is corrupted: %w; restore the data directory from a backup or run `bftnode unsafe-reset-all`", err)
	}
	return h, nil
}

// SaveAppCommitted records that the app's Commit for height returned. It is
// not synced: a killed process keeps it (the operating system has it), and
// it only matters when the app survives the node (see LastAppCommitted).
func (ss *StateStore) SaveAppCommitted(height int64) error {
	if err := ss.db.Put(appCommitKey, encodeHeight(height), nil); err != nil {
		return fmt.Errorf("recording the app's commit of height %d: %w", height, err)
	}
	return nil
}

// SaveCommitSent records that the node is about to send the app Commit
// for height. Like SaveAppCommitted it is not synced. With it, a restart
// tells "Commit never left the node" (the app, if it reports the height,
// only ran FinalizeBlock) from "Commit was sent and may have run".
func (ss *StateStore) SaveCommitSent(height int64) error {
	if err := ss.db.Put(commitSentKey, encodeHeight(height), nil); err != nil {
		return fmt.Errorf("recording the commit request of height %d: %w", height, err)
	}
	return nil
}

// LastCommitSent is the last height whose Commit the node sent the app, 0
// if none recorded.
func (ss *StateStore) LastCommitSent() (int64, error) {
	v, err := get(ss.db, commitSentKey)
	if err != nil || v == nil {
		return 0, err
	}
	return decodeHeight(v)
}

// LastAppCommitted is the last height whose app Commit returned, 0 if
// none recorded.
func (ss *StateStore) LastAppCommitted() (int64, error) {
	v, err := get(ss.db, appCommitKey)
	if err != nil || v == nil {
		return 0, err
	}
	return decodeHeight(v)
}

// putFinalizeResponse adds a block's FinalizeBlock response to batch and
// marks its height as the last one executed.
func putFinalizeResponse(batch *leveldb.Batch, height int64, resp *abci.ResponseFinalizeBlock) error {
	if resp == nil {
		return fmt.Errorf("saving the FinalizeBlock response of height %d: it is missing", height)
	}
	if height < 1 {
		return fmt.Errorf("saving a FinalizeBlock response: height %d is below 1", height)
	}
	bz, err := resp.Marshal()
	if err != nil {
		return fmt.Errorf("saving the FinalizeBlock response of height %d: %w", height, err)
	}
	batch.Put(heightKey(prefixFinalizeRes, height), bz)
	batch.Put(lastFinalizeKey, encodeHeight(height))
	return nil
}
