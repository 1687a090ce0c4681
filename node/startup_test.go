package node

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bftnode/bftnode/config"
	"github.com/bftnode/bftnode/internal/testnet"
	"github.com/bftnode/bftnode/wal"
)

// A node that cannot start must say why, not panic: New used to close
// what it had opened through its nil named result, so every start-up
// error (here a damaged write-ahead log, found by the fault suite's bit
// flip) became a nil pointer panic that hid the message.
func TestNewRefusesADamagedLogWithAClearError(t *testing.T) {
	gen, err := testnet.Generate(testnet.Options{Validators: 1, OutputDir: t.TempDir(), NodeDirPrefix: "node",
		BasePort: freeBase(t, 10), ChainID: "startup-test"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(gen[0].Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cfg.DBDir(), "cs.wal")
	w, _, err := wal.Open(dir, wal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range []string{"first record", "second record"} {
		if err := w.AppendSync([]byte(rec)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*.wal"))
	if len(segs) != 1 {
		t.Fatalf("segments: %v", segs)
	}
	b, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	b[10] ^= 0x01 // inside the first record's payload; the second stays valid
	if err := os.WriteFile(segs[0], b, 0o600); err != nil {
		t.Fatal(err)
	}

	n, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err == nil {
		n.Close()
		t.Fatal("the node started on a damaged log")
	}
	for _, want := range []string{"write-ahead log", filepath.Base(segs[0]), "unsafe-reset-all"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}
