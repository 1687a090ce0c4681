package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/bftnode/bftnode/bench"
	"github.com/bftnode/bftnode/internal/benchnet"
)

// The side-by-side part of `make disk`: CometBFT v0.38.26 and bftnode of
// both protocols, four validators each backed by its own `abci-cli
// kvstore`, under the same steady load for the same time, nothing pruned.
// Each node's data/ is measured after a warm-up and at the end.
const (
	diskSideWarmup = 20 * time.Second
	diskSideCommit = time.Second // CometBFT's default timeout_commit
)

// TestDiskSideBySide is `make disk`'s comparison with CometBFT; it runs
// only when DISK_SECONDS is set.
func TestDiskSideBySide(t *testing.T) {
	secs, _ := strconv.Atoi(os.Getenv("DISK_SECONDS"))
	if secs <= 0 {
		t.Skip("set DISK_SECONDS (make disk) to measure disk growth beside CometBFT")
	}
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	cache, err := cacheDir()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	tools, err := benchnet.Install(ctx, cache, bin, os.Stderr)
	if err != nil {
		t.Skipf("CometBFT is not available: %v", err)
	}
	window := time.Duration(secs) * time.Second
	var rows []sideRow
	for _, system := range []string{"cometbft", "tendermint", "pbft"} {
		dir := t.TempDir()
		var net *benchnet.Network
		if system == "cometbft" {
			net, err = benchnet.StartCometBFT(ctx, tools, dir, diskSideCommit)
		} else {
			net, err = benchnet.StartBftnode(ctx, tools, dir, system)
		}
		if err != nil {
			t.Fatalf("%s: %v", system, err)
		}
		row, err := measureSideBySide(ctx, net, window)
		net.Stop()
		if err != nil {
			t.Fatalf("%s: %v", system, err)
		}
		t.Logf("%s: %d blocks, %d txs, %.0f bytes/block, %.0f bytes/tx", row.name, row.blocks, row.txs,
			row.perBlock(), row.perTx())
		rows = append(rows, row)
	}
	if report := os.Getenv("DISK_REPORT"); report != "" {
		if err := bench.ReplaceSectionInFile(report, "disk-cometbft", sideReport(rows, window)); err != nil {
			t.Fatal(err)
		}
	}
}

// sideRow is one network's growth over the window, summed over its nodes.
type sideRow struct {
	name        string
	blocks, txs int64
	window      time.Duration
	grew        map[string]int64 // per part of data/, all nodes
	nodes       int
	// syncs counts the nodes' fsync and fdatasync calls over the window;
	// syncsErr says why they could not be counted.
	syncs    int64
	syncsErr error
}

func (r sideRow) total() int64 {
	var n int64
	for _, v := range r.grew {
		n += v
	}
	return n
}

// perBlock and perTx are one node's growth per block and per transaction.
func (r sideRow) perBlock() float64 {
	return float64(r.total()) / float64(r.nodes) / float64(max(r.blocks, 1))
}
func (r sideRow) perTx() float64 {
	return float64(r.total()) / float64(r.nodes) / float64(max(r.txs, 1))
}

func measureSideBySide(ctx context.Context, net *benchnet.Network, window time.Duration) (sideRow, error) {
	clients := make([]*rpchttp.HTTP, len(net.RPCs))
	for i, addr := range net.RPCs {
		cl, err := rpchttp.New(addr, "/websocket")
		if err != nil {
			return sideRow{}, err
		}
		clients[i] = cl
	}
	loadCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var seq atomic.Int64
	for c := 0; c < diskLoadClients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for loadCtx.Err() == nil {
				n := seq.Add(1)
				tx := fmt.Sprintf("%s-%d=%d", net.Name, n, n)
				_, _ = clients[int(n)%len(clients)].BroadcastTxSync(loadCtx, []byte(tx))
				select {
				case <-loadCtx.Done():
				case <-time.After(diskLoadPause):
				}
			}
		}(c)
	}
	defer func() { stop(); wg.Wait() }()
	select {
	case <-ctx.Done():
		return sideRow{}, ctx.Err()
	case <-time.After(diskSideWarmup):
	}
	h0, before, err := sampleNetwork(ctx, net, clients[0])
	if err != nil {
		return sideRow{}, err
	}
	start := time.Now()
	syncs, syncsErr := net.CountNodeSyncs(ctx, window)
	select {
	case <-ctx.Done():
		return sideRow{}, ctx.Err()
	case <-time.After(window - time.Since(start)): // perf may have failed at once
	}
	h1, after, err := sampleNetwork(ctx, net, clients[0])
	if err != nil {
		return sideRow{}, err
	}
	row := sideRow{name: net.Name, blocks: h1 - h0, window: window, grew: map[string]int64{}, nodes: net.Size(),
		syncs: syncs, syncsErr: syncsErr}
	for part, size := range after {
		row.grew[part] = size - before[part]
	}
	for lo := h0 + 1; lo <= h1; lo += 20 {
		info, err := clients[0].BlockchainInfo(ctx, lo, min(lo+19, h1))
		if err != nil {
			return sideRow{}, err
		}
		for _, m := range info.BlockMetas {
			row.txs += int64(m.NumTxs)
		}
	}
	return row, nil
}

// sampleNetwork reads node 0's height and the sizes of every node's data/
// parts, summed over the nodes.
func sampleNetwork(ctx context.Context, net *benchnet.Network, cl *rpchttp.HTTP) (int64, map[string]int64, error) {
	st, err := cl.Status(ctx)
	if err != nil {
		return 0, nil, err
	}
	sum := map[string]int64{}
	for i := 0; i < net.Size(); i++ {
		parts, err := dirParts(filepath.Join(net.Dir, "node"+strconv.Itoa(i), "data"))
		if err != nil {
			return 0, nil, err
		}
		for p, v := range parts {
			sum[p] += v
		}
	}
	return st.SyncInfo.LatestBlockHeight, sum, nil
}

func sideReport(rows []sideRow, window time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### Beside CometBFT, nothing pruned\n\n")
	fmt.Fprintf(&b, "Measured %s: CometBFT v0.38.26 (`timeout_commit = %v`, its default) and bftnode of both protocols "+
		"(their defaults), four validators each backed by its own `abci-cli kvstore` over TCP, the same load as above "+
		"(%d clients, a transaction every %v each) for %v after a %v warm-up. The figures are one node's growth "+
		"(the four nodes' `data/` summed, divided by four) per block and per committed transaction; the app's "+
		"own files are not counted. *fsyncs/block* are one node's fsync and fdatasync calls per block (perf's "+
		"system-call tracepoints on the four node processes over the window, divided by four). bftnode sets no "+
		"block time (`timeout_commit = 0`): a block goes when transactions wait, held only by its batching window "+
		"(up to one block's measured execution time, so that per-block work stays at most about half of the "+
		"chain's time), so it makes more, smaller blocks than CometBFT: compare per transaction.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), diskSideCommit, diskLoadClients, diskLoadPause, window, diskSideWarmup)
	b.WriteString("| system | blocks | txs | blocks/s | bytes/block | bytes/tx | fsyncs/block | fsyncs/tx | largest parts (bytes/tx) |\n" +
		"|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
	var notes []string
	for _, r := range rows {
		parts := diskPartNames([]diskRow{{growth: r.grew}})
		var big []string
		for _, p := range parts {
			if per := float64(r.grew[p]) / float64(r.nodes) / float64(max(r.txs, 1)); per >= 10 {
				big = append(big, fmt.Sprintf("%s %.0f", p, per))
			}
		}
		syncsBlock, syncsTx := "—", "—"
		if r.syncsErr == nil {
			perNode := float64(r.syncs) / float64(r.nodes)
			syncsBlock = fmt.Sprintf("%.1f", perNode/float64(max(r.blocks, 1)))
			syncsTx = fmt.Sprintf("%.2f", perNode/float64(max(r.txs, 1)))
		} else {
			notes = append(notes, fmt.Sprintf("%s: fsyncs not counted: %v", r.name, r.syncsErr))
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %.2f | %.0f | %.0f | %s | %s | %s |\n", r.name, r.blocks, r.txs,
			float64(r.blocks)/r.window.Seconds(), r.perBlock(), r.perTx(), syncsBlock, syncsTx, strings.Join(big, ", "))
	}
	if len(notes) > 0 {
		fmt.Fprintf(&b, "\n%s\n", strings.Join(notes, "; "))
	}
	return b.String()
}
