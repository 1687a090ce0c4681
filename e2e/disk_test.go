package e2e

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bftnode/bftnode/bench"
)

// The disk-growth measurement of `make disk`: four validators backed by
// CometBFT's e2e app under a steady load, two keeping every block and two
// whose app asks (retain_blocks) to keep only the latest diskRetain, with
// [tx_index] prune on so their transaction index follows. Each
// node's data directory is measured, part by part, once pruning is in its
// steady state and again diskBlocks heights later; the growth per block
// and per committed transaction goes into BENCHMARKS.md's "disk" section.
const (
	diskRetain      = 100
	diskCommit      = 200 * time.Millisecond
	diskLoadClients = 4
	diskLoadPause   = 50 * time.Millisecond
)

// TestDiskGrowth is `make disk`; it runs only when DISK_BLOCKS is set.
func TestDiskGrowth(t *testing.T) {
	blocks, _ := strconv.Atoi(os.Getenv("DISK_BLOCKS"))
	if blocks <= 0 {
		t.Skip("set DISK_BLOCKS (make disk) to measure disk growth")
	}
	if _, err := CometE2EApp(); err != nil {
		t.Skipf("CometBFT's e2e app is not available: %v", err)
	}
	var rows []diskRow
	for _, protocol := range rpcProtocols() {
		t.Run(protocol, func(t *testing.T) { rows = append(rows, measureDisk(t, protocol, int64(blocks))...) })
	}
	if report := os.Getenv("DISK_REPORT"); report != "" && !t.Failed() {
		body := diskReport(rows, blocks)
		if err := bench.ReplaceSectionInFile(report, "disk", body); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote the disk section of %s", report)
	}
}

// diskRow is one node's growth between two samples.
type diskRow struct {
	protocol string
	node     int
	pruned   bool
	heights  int64
	txs      int64
	growth   map[string]int64 // bytes per part of the data directory
	total    int64            // the data directory's size at the end
}

func measureDisk(t *testing.T, protocol string, blocks int64) []diskRow {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	retain := []uint64{0, 0, diskRetain, diskRetain}
	c := startTestCluster(ctx, t, Options{Protocol: protocol, Validators: 4, ExternalApp: true, App: AppCometE2E,
		RetainBlocks: retain, ExtraFlags: []string{"--consensus.timeout_commit", diskCommit.String()}}, func(c *Cluster) error {
		for i, r := range retain {
			if r > 0 { // the pruning nodes prune their transaction index too
				c.Nodes[i].Env = []string{"BFTNODE_TX_INDEX_PRUNE=true"}
			}
		}
		return nil
	})
	loadCtx, stopLoad := context.WithCancel(ctx)
	load := NewWriteLoad(c, "disk-"+protocol, []int{0, 1, 2, 3})
	done := make(chan struct{})
	go func() { defer close(done); load.Run(loadCtx, diskLoadClients, diskLoadPause) }()
	defer func() { stopLoad(); <-done }()

	if err := c.WaitHeight(ctx, 0, diskRetain+20); err != nil {
		t.Fatal(err)
	}
	first := sampleDisk(ctx, t, c)
	if err := c.WaitHeight(ctx, 0, first[0].height+blocks); err != nil {
		t.Fatal(err)
	}
	last := sampleDisk(ctx, t, c)
	var rows []diskRow
	for i := range c.Nodes {
		a, b := first[i], last[i]
		txs, err := txsBetween(ctx, c, a.height, b.height)
		if err != nil {
			t.Fatal(err)
		}
		row := diskRow{protocol: protocol, node: i, pruned: retain[i] > 0, heights: b.height - a.height,
			txs: txs, growth: map[string]int64{}, total: b.total()}
		for part, size := range b.parts {
			row.growth[part] = size - a.parts[part]
		}
		rows = append(rows, row)
		t.Logf("node %d (retain %d): heights %d..%d, %d txs, grew %d bytes, %d bytes now",
			i, retain[i], a.height, b.height, txs, b.total()-a.total(), b.total())
	}
	return rows
}

// diskSample is a node's height and the size of each part of its data
// directory (its top-level entries) at one moment.
type diskSample struct {
	height int64
	parts  map[string]int64
}

func (s diskSample) total() int64 {
	var n int64
	for _, v := range s.parts {
		n += v
	}
	return n
}

func sampleDisk(ctx context.Context, t *testing.T, c *Cluster) []diskSample {
	t.Helper()
	out := make([]diskSample, len(c.Nodes))
	for i, n := range c.Nodes {
		h, err := latestHeight(ctx, c, i)
		if err != nil {
			t.Fatal(err)
		}
		parts, err := dirParts(filepath.Join(n.Home, "data"))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = diskSample{height: h, parts: parts}
	}
	return out
}

// dirParts sums the sizes of the files under each top-level entry of dir.
func dirParts(dir string) (map[string]int64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	parts := map[string]int64{}
	for _, e := range entries {
		var size int64
		err := filepath.WalkDir(filepath.Join(dir, e.Name()), func(_ string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // a file compaction removed meanwhile
			}
			if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
				size += info.Size()
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		parts[e.Name()] = size
	}
	return parts, nil
}

// txsBetween counts the transactions of heights (from, to] on node 0,
// which keeps every block.
func txsBetween(ctx context.Context, c *Cluster, from, to int64) (int64, error) {
	cl, err := c.Client(0)
	if err != nil {
		return 0, err
	}
	var txs int64
	for lo := from + 1; lo <= to; lo += 20 {
		info, err := cl.BlockchainInfo(ctx, lo, min(lo+19, to))
		if err != nil {
			return 0, err
		}
		for _, m := range info.BlockMetas {
			txs += int64(m.NumTxs)
		}
	}
	return txs, nil
}

func diskReport(rows []diskRow, blocks int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Disk growth with and without pruning: `make disk`\n\n")
	fmt.Fprintf(&b, "Measured %s: four validators backed by CometBFT's e2e app (v0.38.26) over TCP, "+
		"`timeout_commit = %v`, a steady load of %d clients each sending a transaction (about 30 bytes) every %v; "+
		"nodes 0 and 1 keep every block, nodes 2 and 3 have the app answer `retain_height` to keep the latest %d "+
		"(its `retain_blocks`), so the node prunes blocks, results and old validator sets below it, "+
		"and they have `[tx_index] prune = true`, so `tx_index.db` drops the same heights. "+
		"Each node's `data/` is measured once pruning is steady (height %d or later) and again %d heights on; "+
		"the figures are its growth divided by the heights and by the transactions committed between the two. "+
		"What the parts show: `cs.wal` grows until the log reaches 32 MiB, when the next snapshot rewrites it "+
		"(engine/actions.go), so it stops growing there; goleveldb keeps every write, deletions too, in its journal "+
		"until its 1 MiB write buffer (4 MiB for `tx_index.db`) is flushed and only frees what pruning deleted when "+
		"it compacts, so a database that grew by less than that over the run (`state.db`) shows its journal, and "+
		"pruning shows first in `blockstore.db`.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), diskCommit, diskLoadClients, diskLoadPause, diskRetain, diskRetain+20, blocks)
	parts := diskPartNames(rows)
	b.WriteString("| protocol | node | keeps | heights | txs | bytes/block | bytes/tx | " + strings.Join(parts, " B/block | ") + " B/block | data/ at the end |\n")
	b.WriteString("|---|---:|---|---:|---:|---:|---:|" + strings.Repeat("---:|", len(parts)) + "---:|\n")
	for _, r := range rows {
		var grew int64
		for _, g := range r.growth {
			grew += g
		}
		keeps := "all"
		if r.pruned {
			keeps = fmt.Sprintf("latest %d", diskRetain)
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %d | %d | %s | %s |", r.protocol, r.node, keeps, r.heights, r.txs,
			perUnit(grew, r.heights), perUnit(grew, r.txs))
		for _, p := range parts {
			fmt.Fprintf(&b, " %s |", perUnit(r.growth[p], r.heights))
		}
		fmt.Fprintf(&b, " %.1f MB |\n", float64(r.total)/1e6)
	}
	return b.String()
}

func diskPartNames(rows []diskRow) []string {
	seen := map[string]bool{}
	for _, r := range rows {
		for p := range r.growth {
			seen[p] = true
		}
	}
	var names []string
	for p := range seen {
		names = append(names, p)
	}
	sort.Strings(names)
	return names
}

func perUnit(bytes, n int64) string {
	if n <= 0 {
		return "–"
	}
	return strconv.FormatInt(bytes/n, 10)
}
