//go:build cosmos

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cosmosRow is one engine's figures from a Cosmos run, written as a row of
// the report make cosmos leaves in bin/cosmos/report.md (COSMOS_REPORT).
type cosmosRow struct {
	engine          string
	commit          time.Duration
	blocks          int64
	blocksPerSecond float64
	load            gaiaLoadResult
	missed          []int64 // x/slashing's missed-blocks counters
	absent          int     // absences from LastCommits past the warm-up
}

const cosmosReportHeader = `| engine | timeout_commit | blocks | blocks/s | tx/s under load (committed / accepted) | missed blocks (x/slashing) | absent from LastCommit past height 60 | measured |
|---|---|---|---|---|---|---|---|
`

func (r cosmosRow) markdown() string {
	load := "not run"
	if r.load.accepted > 0 {
		load = fmt.Sprintf("%.1f (%d / %d)", r.load.txPerSecond(), r.load.committed, r.load.accepted)
	}
	missed := make([]string, len(r.missed))
	for i, m := range r.missed {
		missed[i] = fmt.Sprint(m)
	}
	return fmt.Sprintf("| %s | %v | %d | %.2f | %s | %s | %d | %s |\n", r.engine, r.commit, r.blocks, r.blocksPerSecond, load,
		strings.Join(missed, ", "), r.absent, time.Now().UTC().Format("2006-01-02 15:04"))
}

// report appends the row to COSMOS_REPORT, with the table's header when
// the file is new.
func (r cosmosRow) report(t *testing.T) {
	t.Helper()
	path := os.Getenv("COSMOS_REPORT")
	if path == "" {
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	text := r.markdown()
	if _, err := os.Stat(path); os.IsNotExist(err) {
		text = cosmosReportHeader + text
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}
