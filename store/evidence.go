package store

import (
	"encoding/binary"
	"fmt"
	"time"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// Evidence store keys (data/evidence.db); see doc.go.
var evidenceMarkedKey = []byte{0x01}

const (
	prefixPendingEvidence   = 'p'
	prefixCommittedEvidence = 'c'
)

// EvidenceStore keeps the evidence waiting for a block and the hashes of
// evidence blocks already carried, so that a restart neither loses
// evidence nor lets a block carry it again (the app would punish twice).
// Its methods are safe for concurrent use; writes come from the engine's
// goroutine.
type EvidenceStore struct {
	db *leveldb.DB
}

// OpenEvidenceStore opens or creates the evidence store in dir.
func OpenEvidenceStore(dir string) (*EvidenceStore, error) {
	db, err := openDB(dir, "evidence store")
	if err != nil {
		return nil, err
	}
	return &EvidenceStore{db: db}, nil
}

// Close closes the database.
func (es *EvidenceStore) Close() error { return es.db.Close() }

func pendingEvidenceKey(ev types.Evidence) []byte {
	return append(heightKey(prefixPendingEvidence, ev.Height()), ev.Hash()...)
}

func committedEvidenceKey(hash []byte) []byte {
	return append([]byte{prefixCommittedEvidence}, hash...)
}

// AddPending stores ev as waiting for a block, with fsync.
func (es *EvidenceStore) AddPending(ev types.Evidence) error {
	pb, err := types.EvidenceToProto(ev)
	if err != nil {
		return fmt.Errorf("storing evidence: %w", err)
	}
	raw, err := pb.Marshal()
	if err != nil {
		return fmt.Errorf("storing evidence: %w", err)
	}
	if err := es.db.Put(pendingEvidenceKey(ev), raw, syncWrite); err != nil {
		return fmt.Errorf("storing evidence %X: %w", ev.Hash(), err)
	}
	return nil
}

// Pending lists the evidence waiting for a block, oldest height first.
func (es *EvidenceStore) Pending() ([]types.Evidence, error) {
	it := es.db.NewIterator(util.BytesPrefix([]byte{prefixPendingEvidence}), nil)
	defer it.Release()
	var out []types.Evidence
	for it.Next() {
		var pb cmtproto.Evidence
		if err := pb.Unmarshal(it.Value()); err != nil {
			return nil, fmt.Errorf("the stored pending evidence %X is corrupted: %w; delete data/evidence.db to forget it", it.Key(), err)
		}
		ev, err := types.EvidenceFromProto(&pb)
		if err != nil {
			return nil, fmt.Errorf("the stored pending evidence %X is corrupted: %w; delete data/evidence.db to forget it", it.Key(), err)
		}
		out = append(out, ev)
	}
	return out, it.Error()
}

// IsCommitted says whether a block stored before carried the evidence with
// this hash.
func (es *EvidenceStore) IsCommitted(hash []byte) (bool, error) {
	return es.db.Has(committedEvidenceKey(hash), nil)
}

// MarkCommitted records that the block at height carried evs: they leave
// the pending evidence and are remembered as committed, and height becomes
// MarkedThrough, in one batch (synced when evs is not empty).
func (es *EvidenceStore) MarkCommitted(height int64, evs []types.Evidence) error {
	batch := new(leveldb.Batch)
	for _, ev := range evs {
		batch.Delete(pendingEvidenceKey(ev))
		batch.Put(committedEvidenceKey(ev.Hash()), encodeEvidenceAge(ev.Height(), ev.Time()))
	}
	batch.Put(evidenceMarkedKey, encodeHeight(height))
	// A block without evidence changes only the mark: losing it in a
	// crash costs a rescan of a few stored blocks at the next start, not
	// an fsync per block.
	wo := syncWrite
	if len(evs) == 0 {
		wo = nil
	}
	if err := es.db.Write(batch, wo); err != nil {
		return fmt.Errorf("recording the evidence of block %d: %w", height, err)
	}
	return nil
}

// MarkedThrough is the last height whose block's evidence MarkCommitted
// recorded; 0 if none.
func (es *EvidenceStore) MarkedThrough() (int64, error) {
	v, err := get(es.db, evidenceMarkedKey)
	if err != nil || v == nil {
		return 0, err
	}
	h, err := decodeHeight(v)
	if err != nil {
		return 0, corrupted("evidence mark", 0, err)
	}
	return h, nil
}

// DeleteExpired forgets pending and committed evidence for which expired
// says so (it is given the evidence's height and time): expired evidence
// is refused anyway, so remembering it serves nothing. It returns how many
// entries went.
func (es *EvidenceStore) DeleteExpired(expired func(height int64, at time.Time) bool) (int, error) {
	batch := new(leveldb.Batch)
	pending, err := es.Pending()
	if err != nil {
		return 0, err
	}
	for _, ev := range pending {
		if expired(ev.Height(), ev.Time()) {
			batch.Delete(pendingEvidenceKey(ev))
		}
	}
	it := es.db.NewIterator(util.BytesPrefix([]byte{prefixCommittedEvidence}), nil)
	for it.Next() {
		h, at, ok := decodeEvidenceAge(it.Value())
		if ok && expired(h, at) {
			batch.Delete(append([]byte(nil), it.Key()...))
		}
	}
	it.Release()
	if err := it.Error(); err != nil {
		return 0, err
	}
	if batch.Len() == 0 {
		return 0, nil
	}
	if err := es.db.Write(batch, syncWrite); err != nil {
		return 0, fmt.Errorf("deleting expired evidence: %w", err)
	}
	return batch.Len(), nil
}

// encodeEvidenceAge is the evidence's height and time (Unix nanoseconds),
// what expiry needs.
func encodeEvidenceAge(height int64, at time.Time) []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(height))
	return binary.BigEndian.AppendUint64(b, uint64(at.UnixNano()))
}

func decodeEvidenceAge(b []byte) (int64, time.Time, bool) {
	if len(b) != 16 {
		return 0, time.Time{}, false
	}
	return int64(binary.BigEndian.Uint64(b)), time.Unix(0, int64(binary.BigEndian.Uint64(b[8:]))).UTC(), true
}
