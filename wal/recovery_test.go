package wal

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeSegment lays data down as the only segment of a fresh log directory.
func writeSegment(t testing.TB, data []byte) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, segmentID{}.name())
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

// encodedLog returns the bytes of a one-segment log of recs and each
// record's start offset.
func encodedLog(recs [][]byte) ([]byte, []int) {
	var data []byte
	var starts []int
	for _, r := range recs {
		starts = append(starts, len(data))
		data = append(data, encodeRecord(r)...)
	}
	return data, starts
}

// Cutting any number of bytes off the end recovers exactly the records
// that are complete in what remains, and the repaired log takes appends.
func TestTornTailOfEveryLength(t *testing.T) {
	recs := testRecords(12)
	data, starts := encodedLog(recs)
	for cut := 0; cut <= len(data); cut++ {
		keep := len(data) - cut
		complete := 0
		for complete < len(recs) && starts[complete]+headerSize+len(recs[complete]) <= keep {
			complete++
		}
		end := 0
		if complete > 0 {
			end = starts[complete-1] + headerSize + len(recs[complete-1])
		}
		dir, path := writeSegment(t, data[:keep])
		w, rep, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		if rep.Records != complete || rep.BytesCut != int64(keep-end) {
			t.Fatalf("cut %d: report %v, want %d records and %d bytes cut", cut, rep, complete, keep-end)
		}
		if rep.Cut() && (rep.TornFile != path || rep.TornOffset != int64(end)) {
			t.Fatalf("cut %d: torn tail reported at %s:%d, want %s:%d", cut, rep.TornFile, rep.TornOffset, path, end)
		}
		sameRecords(t, replayAll(t, w), recs[:complete])
		extra := []byte("appended after repair")
		if err := w.AppendSync(extra); err != nil {
			t.Fatal(err)
		}
		w.Close()
		w, rep = openWAL(t, dir, Options{})
		if rep.Cut() || rep.Records != complete+1 {
			t.Fatalf("cut %d: second open reports %v", cut, rep)
		}
		sameRecords(t, replayAll(t, w), append(recs[:complete:complete], extra))
		w.Close()
	}
}

// A file system may leave zeros where the last unsynced write should be.
func TestZeroFilledTailIsCut(t *testing.T) {
	recs := testRecords(5)
	data, _ := encodedLog(recs)
	dir, _ := writeSegment(t, append(data, make([]byte, 4096)...))
	w, rep := openWAL(t, dir, Options{})
	defer w.Close()
	if rep.BytesCut != 4096 || rep.Records != 5 {
		t.Errorf("report %v, want 5 records and 4096 bytes cut", rep)
	}
	sameRecords(t, replayAll(t, w), recs)
}

// A bit flipped anywhere in the last record makes it a torn tail.
func TestBitFlipInLastRecordIsCut(t *testing.T) {
	recs := testRecords(6)
	data, starts := encodedLog(recs)
	last := starts[len(starts)-1]
	for i := last; i < len(data); i++ {
		bad := append([]byte(nil), data...)
		bad[i] ^= 0x10
		dir, _ := writeSegment(t, bad)
		w, rep, err := Open(dir, Options{})
		if err != nil {
			t.Fatalf("flip at %d: %v", i, err)
		}
		if rep.Records != len(recs)-1 || rep.TornOffset != int64(last) || rep.BytesCut != int64(len(data)-last) {
			t.Fatalf("flip at %d: report %v", i, rep)
		}
		sameRecords(t, replayAll(t, w), recs[:len(recs)-1])
		w.Close()
	}
}

// A bit flipped anywhere in a record with valid records after it is
// corruption: Open refuses, naming the file and the record's offset.
func TestBitFlipInMiddleRecordIsCorruption(t *testing.T) {
	recs := testRecords(6)
	data, starts := encodedLog(recs)
	mid := starts[2]
	for i := mid; i < starts[3]; i++ {
		bad := append([]byte(nil), data...)
		bad[i] ^= 0x10
		dir, path := writeSegment(t, bad)
		_, _, err := Open(dir, Options{})
		var ce *CorruptionError
		if !errors.As(err, &ce) {
			t.Fatalf("flip at %d: got %v, want a CorruptionError", i, err)
		}
		if ce.File != path || ce.Offset != int64(mid) {
			t.Errorf("flip at %d: error names %s:%d, want %s:%d", i, ce.File, ce.Offset, path, mid)
		}
		if !strings.Contains(err.Error(), "unsafe-reset-all") || !strings.Contains(err.Error(), path) {
			t.Errorf("error does not say where and what to do: %v", err)
		}
		got, _ := os.ReadFile(path)
		if len(got) != len(bad) {
			t.Fatalf("flip at %d: a refused open changed the file", i)
		}
	}
}

// A segment followed by another was synced before the log moved on, so
// damage at its end is corruption too.
func TestDamageInEarlierSegmentIsCorruption(t *testing.T) {
	dir := t.TempDir()
	w, _ := openWAL(t, dir, Options{SegmentSize: 100})
	appendAll(t, w, testRecords(20))
	w.Close()
	first := filepath.Join(dir, segmentID{}.name())
	data, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-1] ^= 1
	if err := os.WriteFile(first, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var ce *CorruptionError
	if _, _, err := Open(dir, Options{}); !errors.As(err, &ce) || ce.File != first {
		t.Errorf("open: %v, want a CorruptionError in %s", err, first)
	}
}

func TestDamageFoundDuringReplay(t *testing.T) {
	dir := t.TempDir()
	w, _ := openWAL(t, dir, Options{})
	defer w.Close()
	appendAll(t, w, testRecords(4))
	path := filepath.Join(dir, segmentID{}.name())
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{0xff}, headerSize); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var ce *CorruptionError
	if err := w.Replay(func([]byte) error { return nil }); !errors.As(err, &ce) || ce.Offset != 0 {
		t.Errorf("replay of a damaged log: %v", err)
	}
}

// FuzzOpen lays arbitrary bytes down as a segment: Open either refuses or
// repairs, never panics, and a repaired log replays the records it counted
// and opens again with nothing more to cut.
func FuzzOpen(f *testing.F) {
	data, _ := encodedLog(testRecords(4))
	f.Add(data)
	f.Add(data[:len(data)-3])
	f.Add(append(append([]byte(nil), data...), 0, 0, 0, 0, 0, 0, 0, 0, 0))
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		dir, _ := writeSegment(t, data)
		w, rep, err := Open(dir, Options{})
		if err != nil {
			var ce *CorruptionError
			if !errors.As(err, &ce) {
				t.Fatalf("open failed without a CorruptionError: %v", err)
			}
			return
		}
		if got := len(replayAll(t, w)); got != rep.Records {
			t.Fatalf("replayed %d records, report says %d", got, rep.Records)
		}
		if rep.Cut() && rep.BytesCut+rep.TornOffset != int64(len(data)) {
			t.Fatalf("cut %d bytes at %d of a %d-byte file", rep.BytesCut, rep.TornOffset, len(data))
		}
		w.Close()
		w, again := openWAL(t, dir, Options{})
		defer w.Close()
		if again.Cut() || again.Records != rep.Records {
			t.Fatalf("second open reports %v after %v", again, rep)
		}
	})
}
