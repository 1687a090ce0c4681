package abci

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	dbm "github.com/cometbft/cometbft-db"
)

// The built-in kvstore's snapshot format 1 (documented in the README's
// State sync section):
//
//   - The snapshot of height h is every key and value of the app's database
//     after the Commit of h, in key order, each written as
//     uvarint(len(key)) key uvarint(len(value)) value. The database holds
//     the pairs written by transactions, the validators and the app's state
//     record (its size and height), so a restore needs nothing else.
//   - That stream is cut into chunks of kvChunkSize bytes (the last one
//     shorter). Snapshot.Hash is the SHA-256 of the whole stream and
//     Snapshot.Metadata the SHA-256 of each chunk, 32 bytes per chunk in
//     order, so every chunk is checked as it arrives and the whole once
//     the last one is in.
const kvSnapshotFormat uint32 = 1

// kvChunkSize is the size of a snapshot chunk. Small enough that a test
// chain of a few thousand keys has several chunks; a variable so tests can
// make more of them.
var kvChunkSize = 16 << 10

// kvMaxChunks bounds the chunks of a snapshot the app accepts to restore:
// a peer offering more is refused before anything is fetched.
const kvMaxChunks = 100_000

// kvStateKey is the key under which CometBFT's example kvstore keeps its
// state record ({"size":..,"height":..}); a restored stream must hold it
// for the snapshot's height.
var kvStateKey = []byte("stateKey")

// kvSnapshot describes one snapshot the app can serve.
type kvSnapshot struct {
	Height   uint64 `json:"height"`
	Format   uint32 `json:"format"`
	Chunks   uint32 `json:"chunks"`
	Hash     []byte `json:"hash"`
	Metadata []byte `json:"metadata"`
	// ChunkSize is the size the stream was cut at, so that a snapshot
	// stays readable if kvChunkSize changes.
	ChunkSize int `json:"chunk_size"`
	// stream is the whole snapshot when kept in memory; nil when it is in
	// a file.
	stream []byte
}

// kvSnapshots takes, keeps and serves the kvstore's snapshots: in files
// under dir, or in memory when dir is "". The local client's mutex
// serialises every call.
type kvSnapshots struct {
	dir      string
	interval int64 // take one every interval heights; 0: never
	keep     int   // how many of the latest to keep
	list     []*kvSnapshot
}

func openKVSnapshots(dir string, interval int64, keep int) (*kvSnapshots, error) {
	s := &kvSnapshots{dir: dir, interval: interval, keep: max(keep, 1)}
	if dir == "" {
		return s, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the kvstore's snapshot directory %s: %w", dir, err)
	}
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		bz, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("reading the kvstore snapshot %s: %w", name, err)
		}
		var snap kvSnapshot
		if err := json.Unmarshal(bz, &snap); err != nil {
			return nil, fmt.Errorf("the kvstore snapshot description %s is damaged: %w; delete it and its .snap file", name, err)
		}
		s.list = append(s.list, &snap)
	}
	sort.Slice(s.list, func(i, j int) bool { return s.list[i].Height < s.list[j].Height })
	return s, nil
}

// due tells whether a snapshot is to be taken after the Commit of height.
func (s *kvSnapshots) due(height int64) bool {
	return s.interval > 0 && height > 0 && height%s.interval == 0
}

// take writes the snapshot of db at height and drops the oldest beyond
// keep. The stream file is synced before its description is written, so a
// crash leaves at most an unlisted stream file.
func (s *kvSnapshots) take(db dbm.DB, height int64) error {
	stream, err := dumpKV(db)
	if err != nil {
		return err
	}
	snap := describeStream(uint64(height), stream)
	if s.dir == "" {
		snap.stream = stream
	} else if err := s.write(snap, stream); err != nil {
		return err
	}
	s.list = append(s.list, snap)
	for len(s.list) > s.keep {
		s.remove(s.list[0])
		s.list = s.list[1:]
	}
	return nil
}

func (s *kvSnapshots) streamFile(height uint64) string {
	return filepath.Join(s.dir, strconv.FormatUint(height, 10)+".snap")
}

func (s *kvSnapshots) write(snap *kvSnapshot, stream []byte) error {
	if err := writeSynced(s.streamFile(snap.Height), stream); err != nil {
		return fmt.Errorf("writing the kvstore snapshot of height %d: %w", snap.Height, err)
	}
	desc, err := json.Marshal(snap)
	if err != nil {
		return err
	}
	name := filepath.Join(s.dir, strconv.FormatUint(snap.Height, 10)+".json")
	if err := writeSynced(name+".tmp", desc); err != nil {
		return fmt.Errorf("writing the kvstore snapshot of height %d: %w", snap.Height, err)
	}
	return os.Rename(name+".tmp", name)
}

func (s *kvSnapshots) remove(snap *kvSnapshot) {
	if s.dir == "" {
		return
	}
	_ = os.Remove(filepath.Join(s.dir, strconv.FormatUint(snap.Height, 10)+".json"))
	_ = os.Remove(s.streamFile(snap.Height))
}

func writeSynced(name string, data []byte) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// find returns the snapshot of height and format, nil if not kept.
func (s *kvSnapshots) find(height uint64, format uint32) *kvSnapshot {
	for _, snap := range s.list {
		if snap.Height == height && snap.Format == format {
			return snap
		}
	}
	return nil
}

// chunk reads chunk index of snap; nil if there is no such chunk.
func (s *kvSnapshots) chunk(snap *kvSnapshot, index uint32) ([]byte, error) {
	if index >= snap.Chunks {
		return nil, nil
	}
	size := int64(snap.ChunkSize)
	if size <= 0 {
		return nil, fmt.Errorf("the description of the snapshot of height %d has no chunk size", snap.Height)
	}
	start := int64(index) * size
	if snap.stream != nil {
		return bytes.Clone(snap.stream[start:min(start+size, int64(len(snap.stream)))]), nil
	}
	f, err := os.Open(s.streamFile(snap.Height))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, size)
	n, err := f.ReadAt(buf, start)
	if n > 0 {
		return buf[:n], nil
	}
	return nil, err
}

// dumpKV writes every pair of db in key order, in format 1.
func dumpKV(db dbm.DB) ([]byte, error) {
	it, err := db.Iterator(nil, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the kvstore for a snapshot: %w", err)
	}
	defer it.Close()
	var out []byte
	for ; it.Valid(); it.Next() {
		out = binary.AppendUvarint(out, uint64(len(it.Key())))
		out = append(out, it.Key()...)
		out = binary.AppendUvarint(out, uint64(len(it.Value())))
		out = append(out, it.Value()...)
	}
	return out, it.Error()
}

// describeStream cuts stream into chunks and hashes it and each chunk.
func describeStream(height uint64, stream []byte) *kvSnapshot {
	snap := &kvSnapshot{Height: height, Format: kvSnapshotFormat, ChunkSize: kvChunkSize}
	for start := 0; start < len(stream) || start == 0; start += kvChunkSize {
		sum := sha256.Sum256(stream[start:min(start+kvChunkSize, len(stream))])
		snap.Metadata = append(snap.Metadata, sum[:]...)
		snap.Chunks++
		if len(stream) == 0 {
			break
		}
	}
	sum := sha256.Sum256(stream)
	snap.Hash = sum[:]
	return snap
}

type kvPair struct{ key, value []byte }

// parseKV reads a format 1 stream back into its pairs.
func parseKV(stream []byte) ([]kvPair, error) {
	var pairs []kvPair
	for len(stream) > 0 {
		var p kvPair
		var err error
		if p.key, stream, err = readField(stream, "key"); err != nil {
			return nil, fmt.Errorf("pair %d: %w", len(pairs), err)
		}
		if p.value, stream, err = readField(stream, "value"); err != nil {
			return nil, fmt.Errorf("pair %d: %w", len(pairs), err)
		}
		if len(pairs) > 0 && bytes.Compare(pairs[len(pairs)-1].key, p.key) >= 0 {
			return nil, fmt.Errorf("pair %d: keys out of order", len(pairs))
		}
		pairs = append(pairs, p)
	}
	return pairs, nil
}

func readField(b []byte, what string) (field, rest []byte, err error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, fmt.Errorf("the %s's length is damaged or runs past the stream", what)
	}
	return b[k : k+int(n)], b[k+int(n):], nil
}

// checkStateRecord checks that the pairs hold the app's state record for
// height, so that a restored app reports the height it was offered.
func checkStateRecord(pairs []kvPair, height uint64) error {
	for _, p := range pairs {
		if !bytes.Equal(p.key, kvStateKey) {
			continue
		}
		var st struct {
			Height int64 `json:"height"`
		}
		if err := json.Unmarshal(p.value, &st); err != nil {
			return fmt.Errorf("the state record is damaged: %w", err)
		}
		if st.Height < 0 || uint64(st.Height) != height {
			return fmt.Errorf("the state record is of height %d, the snapshot says %d", st.Height, height)
		}
		return nil
	}
	return errors.New("the snapshot holds no state record")
}

// replaceKV makes db hold exactly pairs, in one synced batch: a crash
// leaves the old contents or the new ones, never a mix.
func replaceKV(db dbm.DB, pairs []kvPair) error {
	batch := db.NewBatch()
	defer batch.Close()
	it, err := db.Iterator(nil, nil)
	if err != nil {
		return err
	}
	var old [][]byte
	for ; it.Valid(); it.Next() {
		old = append(old, bytes.Clone(it.Key()))
	}
	if err := it.Error(); err != nil {
		it.Close()
		return err
	}
	it.Close()
	for _, k := range old {
		if err := batch.Delete(k); err != nil {
			return err
		}
	}
	for _, p := range pairs {
		if err := batch.Set(p.key, p.value); err != nil {
			return err
		}
	}
	return batch.WriteSync()
}
