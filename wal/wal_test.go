package wal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func openWAL(t testing.TB, dir string, opts Options) (*WAL, Report) {
	t.Helper()
	w, rep, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	return w, rep
}

func replayAll(t testing.TB, w *WAL) [][]byte {
	t.Helper()
	var got [][]byte
	if err := w.Replay(func(rec []byte) error {
		got = append(got, rec)
		return nil
	}); err != nil {
		t.Fatalf("replay: %v", err)
	}
	return got
}

// testRecords returns n distinct records of varied sizes (1 to ~60 bytes).
func testRecords(n int) [][]byte {
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = bytes.Repeat([]byte{byte('a' + i%26)}, 1+(i*7)%61)
		recs[i][0] = byte(i)
	}
	return recs
}

func appendAll(t testing.TB, w *WAL, recs [][]byte) {
	t.Helper()
	for _, r := range recs {
		if err := w.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
}

func sameRecords(t testing.TB, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d", len(got), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("record %d is %q, want %q", i, got[i], want[i])
		}
	}
}

func TestRoundTripAndReopen(t *testing.T) {
	dir := t.TempDir()
	w, rep := openWAL(t, dir, Options{})
	if rep.Records != 0 || rep.Cut() {
		t.Fatalf("new log reports %v", rep)
	}
	recs := testRecords(50)
	appendAll(t, w, recs[:25])
	for _, r := range recs[25:] {
		if err := w.AppendSync(r); err != nil {
			t.Fatal(err)
		}
	}
	sameRecords(t, replayAll(t, w), recs)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w, rep = openWAL(t, dir, Options{})
	defer w.Close()
	if rep.Records != len(recs) || rep.Cut() || rep.Segments != 1 {
		t.Errorf("reopened log reports %v", rep)
	}
	sameRecords(t, replayAll(t, w), recs)
	more := []byte("after reopen")
	if err := w.AppendSync(more); err != nil {
		t.Fatal(err)
	}
	sameRecords(t, replayAll(t, w), append(recs, more))
}

func TestReplayIncludesUnsyncedAppends(t *testing.T) {
	w, _ := openWAL(t, t.TempDir(), Options{})
	defer w.Close()
	recs := testRecords(3)
	for _, r := range recs {
		if err := w.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	sameRecords(t, replayAll(t, w), recs)
	// fn may append; what it appends is not replayed in the same pass.
	n := 0
	if err := w.Replay(func([]byte) error { n++; return w.Append([]byte("x")) }); err != nil || n != 3 {
		t.Errorf("replay while appending saw %d records, err %v", n, err)
	}
	stop := errors.New("stop")
	if err := w.Replay(func([]byte) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("replay returned %v, want fn's error", err)
	}
}

func TestAppendRejectsEmptyAndOversized(t *testing.T) {
	w, _ := openWAL(t, t.TempDir(), Options{})
	defer w.Close()
	if err := w.Append(nil); err == nil {
		t.Error("empty record accepted")
	}
	if err := w.Append(make([]byte, MaxRecordSize+1)); err == nil {
		t.Error("oversized record accepted")
	}
	if err := w.Append(make([]byte, MaxRecordSize)); err != nil {
		t.Errorf("record of the maximum size rejected: %v", err)
	}
	if got := len(replayAll(t, w)); got != 1 {
		t.Errorf("%d records in the log, want 1", got)
	}
}

func TestRotationBySize(t *testing.T) {
	dir := t.TempDir()
	opts := Options{SegmentSize: 200}
	w, _ := openWAL(t, dir, opts)
	recs := testRecords(60)
	appendAll(t, w, recs)
	sameRecords(t, replayAll(t, w), recs)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	l, err := listDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.segments) < 5 {
		t.Fatalf("only %d segments for %d records of up to 69 bytes at 200 bytes each", len(l.segments), len(recs))
	}
	for _, id := range l.segments {
		info, err := os.Stat(filepath.Join(dir, id.name()))
		if err != nil {
			t.Fatal(err)
		}
		if info.Size() > opts.SegmentSize || info.Size() == 0 {
			t.Errorf("segment %s has %d bytes", id.name(), info.Size())
		}
	}
	w, rep := openWAL(t, dir, opts)
	defer w.Close()
	if rep.Segments != len(l.segments) || rep.Records != len(recs) {
		t.Errorf("reopened: %v", rep)
	}
	sameRecords(t, replayAll(t, w), recs)
}

func TestMissingSegmentIsAnError(t *testing.T) {
	dir := t.TempDir()
	w, _ := openWAL(t, dir, Options{SegmentSize: 100})
	appendAll(t, w, testRecords(30))
	w.Close()
	if err := os.Remove(filepath.Join(dir, segmentID{seq: 1}.name())); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("open with a missing segment: %v", err)
	}
}

func TestClosedLogRefusesWork(t *testing.T) {
	w, _ := openWAL(t, t.TempDir(), Options{})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"append": w.Append([]byte("x")), "sync": w.Sync(), "append sync": w.AppendSync([]byte("x")),
		"reset": w.Reset([]byte("x")), "replay": w.Replay(func([]byte) error { return nil }), "close": w.Close(),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after close: %v", name, err)
		}
	}
}

// After a failed fsync the log's tail is unknown: it must refuse further
// work rather than acknowledge records that may be lost.
func TestFailedFsyncIsSticky(t *testing.T) {
	w, _ := openWAL(t, t.TempDir(), Options{})
	defer w.Close()
	defer func() { fsync = (*os.File).Sync }()
	fsync = func(*os.File) error { return fmt.Errorf("injected I/O error") }
	if err := w.AppendSync([]byte("a")); err == nil {
		t.Fatal("AppendSync succeeded although fsync failed")
	}
	fsync = (*os.File).Sync
	if err := w.AppendSync([]byte("b")); err == nil || !strings.Contains(err.Error(), "restart") {
		t.Errorf("log still takes records after a failed fsync: %v", err)
	}
}
