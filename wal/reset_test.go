package wal

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResetStartsOver(t *testing.T) {
	dir := t.TempDir()
	w, _ := openWAL(t, dir, Options{SegmentSize: 128})
	appendAll(t, w, testRecords(30))
	if err := w.Append([]byte("pending")); err != nil {
		t.Fatal(err)
	}
	if err := w.Reset([]byte("snapshot")); err != nil {
		t.Fatal(err)
	}
	sameRecords(t, replayAll(t, w), [][]byte{[]byte("snapshot")})
	if err := w.AppendSync([]byte("after")); err != nil {
		t.Fatal(err)
	}
	w.Close()
	l, err := listDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.segments) != 1 || l.segments[0] != (segmentID{gen: 1}) || len(l.temps) != 0 {
		t.Errorf("directory after reset holds %v and temporary files %v", l.segments, l.temps)
	}
	w, rep := openWAL(t, dir, Options{})
	defer w.Close()
	if len(rep.Removed) != 0 || rep.Cut() {
		t.Errorf("clean reopen after reset reports %v", rep)
	}
	sameRecords(t, replayAll(t, w), [][]byte{[]byte("snapshot"), []byte("after")})
	if err := w.Reset(nil); err == nil {
		t.Error("reset with an empty first record accepted")
	}
}

// A crash at any step of Reset leaves the old log or the new one, whole.
func TestResetCrashAtEveryStep(t *testing.T) {
	defer func() { crashAt = nil }()
	old := testRecords(30)
	snapshot := []byte("snapshot")
	for _, step := range []string{"temp written", "renamed", "directory synced", "old segment removed"} {
		dir := t.TempDir()
		w, _ := openWAL(t, dir, Options{SegmentSize: 128})
		appendAll(t, w, old)
		crashAt = func(s string) bool { return s == step }
		if err := w.Reset(snapshot); err == nil {
			t.Fatalf("%s: reset did not stop", step)
		}
		crashAt = nil
		w.file.Close() // the process died: no further writes, no cleanup

		w, rep := openWAL(t, dir, Options{})
		got := replayAll(t, w)
		if step == "temp written" {
			sameRecords(t, got, old)
			if len(rep.Removed) != 1 || filepath.Ext(rep.Removed[0]) != tempSuffix {
				t.Errorf("%s: removed %v, want the temporary file", step, rep.Removed)
			}
		} else {
			sameRecords(t, got, [][]byte{snapshot})
			if len(rep.Removed) == 0 {
				t.Errorf("%s: old segments not reported removed", step)
			}
		}
		// The recovered log works and reopens without leftovers.
		if err := w.AppendSync([]byte("next")); err != nil {
			t.Fatal(err)
		}
		w.Close()
		w, rep = openWAL(t, dir, Options{})
		if len(rep.Removed) != 0 || rep.Records != len(got)+1 {
			t.Errorf("%s: second reopen reports %v", step, rep)
		}
		w.Close()
	}
}

// A temporary file half written by a Reset that died is discarded.
func TestPartialTempFileIsDiscarded(t *testing.T) {
	dir := t.TempDir()
	w, _ := openWAL(t, dir, Options{})
	recs := testRecords(5)
	appendAll(t, w, recs)
	w.Close()
	temp := filepath.Join(dir, segmentID{gen: 1}.name()+tempSuffix)
	if err := os.WriteFile(temp, encodeRecord([]byte("snapshot"))[:5], 0o600); err != nil {
		t.Fatal(err)
	}
	w, rep := openWAL(t, dir, Options{})
	defer w.Close()
	sameRecords(t, replayAll(t, w), recs)
	if _, err := os.Stat(temp); !os.IsNotExist(err) {
		t.Errorf("temporary file still there: %v", err)
	}
	if len(rep.Removed) != 1 {
		t.Errorf("report %v does not list the removed temporary file", rep)
	}
}

// Reset with several records makes all of them the new log at once.
func TestResetWithSeveralRecordsReplaysThemAll(t *testing.T) {
	dir := t.TempDir()
	w, _, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AppendSync([]byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := w.Reset([]byte("snapshot"), []byte("signed-1"), []byte("signed-2")); err != nil {
		t.Fatal(err)
	}
	if err := w.Append([]byte("after")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w, _, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var got []string
	if err := w.Replay(func(rec []byte) error { got = append(got, string(rec)); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "snapshot,signed-1,signed-2,after" {
		t.Fatalf("replayed %v", got)
	}
	if err := w.Reset([]byte("x"), nil); err == nil {
		t.Fatal("an empty extra record was accepted")
	}
}
