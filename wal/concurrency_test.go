package wal

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Concurrent AppendSync callers all get their records in, each caller's in
// its own order, none twice.
func TestConcurrentAppendSync(t *testing.T) {
	dir := t.TempDir()
	w, _ := openWAL(t, dir, Options{SegmentSize: 4096})
	const writers, each = 8, 150
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				rec := make([]byte, 8, 40)
				binary.BigEndian.PutUint32(rec[0:4], uint32(g))
				binary.BigEndian.PutUint32(rec[4:8], uint32(i))
				if err := w.AppendSync(append(rec, make([]byte, i%32)...)); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	stats := w.Stats()
	t.Logf("%d writers x %d AppendSync: %d fsyncs", writers, each, stats.Fsyncs)
	w.Close()
	w, rep := openWAL(t, dir, Options{})
	defer w.Close()
	if rep.Records != writers*each {
		t.Fatalf("%d records after reopen, want %d", rep.Records, writers*each)
	}
	next := make([]uint32, writers)
	for _, rec := range replayAll(t, w) {
		g, i := binary.BigEndian.Uint32(rec[0:4]), binary.BigEndian.Uint32(rec[4:8])
		if i != next[g] {
			t.Fatalf("writer %d: record %d follows %d", g, i, next[g])
		}
		next[g]++
	}
}

// Group commit: while one caller fsyncs, others append and wait, and a
// single further fsync makes all of them durable.
func TestGroupCommitSharesOneFsync(t *testing.T) {
	w, _ := openWAL(t, t.TempDir(), Options{})
	defer w.Close()
	release := make(chan struct{})
	var holding atomic.Bool
	holding.Store(true)
	fsync = func(f *os.File) error {
		if holding.Swap(false) {
			<-release // the first fsync stays in progress until released
		}
		return f.Sync()
	}
	defer func() { fsync = (*os.File).Sync }()

	const followers = 20
	var wg sync.WaitGroup
	start := func(rec string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.AppendSync([]byte(rec)); err != nil {
				t.Error(err)
			}
		}()
	}
	start("leader")
	waitFor(t, func() bool { return !holding.Load() }) // the leader is in fsync
	for i := 0; i < followers; i++ {
		start(fmt.Sprint("follower ", i))
	}
	waitFor(t, func() bool { return w.Stats().Appends == followers+1 })
	close(release)
	wg.Wait()
	if got := w.Stats().Fsyncs; got != 2 {
		t.Errorf("%d AppendSync calls took %d fsyncs, want 2 (the leader's and one shared)", followers+1, got)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// Concurrent AppendSync, Sync and rotation together, for the race detector.
func TestConcurrentRotationAndSync(t *testing.T) {
	w, _ := openWAL(t, t.TempDir(), Options{SegmentSize: 256})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				var err error
				if i%3 == 0 {
					err = w.Append([]byte(fmt.Sprint(g, i)))
				} else if i%3 == 1 {
					err = w.AppendSync([]byte(fmt.Sprint(g, i)))
				} else {
					err = w.Sync()
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	if got := len(replayAll(t, w)); got != 4*67 {
		t.Errorf("%d records, want %d", got, 4*67)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
