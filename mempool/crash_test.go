package mempool

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bftnode/bftnode/abci"
	"github.com/cometbft/cometbft/abci/example/kvstore"
)

// Environment of the child process TestCrashKeepsAckedTxs kills.
const (
	crashChildEnv = "BFTNODE_MEMPOOL_CRASH_CHILD"
	crashAppEnv   = "BFTNODE_MEMPOOL_CRASH_APP"
	crashDirEnv   = "BFTNODE_MEMPOOL_CRASH_DIR"
	ackedPrefix   = "acked "

	crashAfterAcks = 300
)

// A process admitting txs from many goroutines is killed with SIGKILL the
// moment it has acknowledged crashAfterAcks of them, with more in flight;
// every acknowledged tx must come back when the mempool is opened again.
func TestCrashKeepsAckedTxs(t *testing.T) {
	app := serveApp(t, kvstore.NewInMemoryApplication())
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashChildEnv+"=1", crashAppEnv+"="+app.addr, crashDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if tx, ok := strings.CutPrefix(lines.Text(), ackedPrefix); ok {
			acked = append(acked, tx)
		}
	}
	err = cmd.Wait()
	if status, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !status.Signaled() || status.Signal() != syscall.SIGKILL {
		t.Fatalf("the child was not killed by SIGKILL (%v); it acknowledged %d txs", err, len(acked))
	}
	if len(acked) < crashAfterAcks {
		t.Fatalf("the child acknowledged only %d txs before it died, want %d", len(acked), crashAfterAcks)
	}

	conns := app.connect(t)
	mp, err := New(DefaultConfig(), conns.Mempool, dir, nil)
	if err != nil {
		t.Fatalf("reopening after the crash: %v", err)
	}
	defer mp.Close()
	for _, tx := range acked {
		if !mp.Contains([]byte(tx)) {
			t.Errorf("acknowledged tx %s was lost in the crash", tx)
		}
	}
	t.Logf("%d txs acknowledged before SIGKILL, %d in the reopened mempool", len(acked), mp.Size())
}

// TestCrashChild is the process TestCrashKeepsAckedTxs crashes: it admits
// txs from 16 goroutines, prints each one the mempool acknowledged and
// kills itself at the crashAfterAcks-th.
func TestCrashChild(t *testing.T) {
	if os.Getenv(crashChildEnv) == "" {
		t.Skip("runs only as the child process of TestCrashKeepsAckedTxs")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // if the parent never kills us
	defer cancel()
	conns, err := abci.Connect(ctx, os.Getenv(crashAppEnv), nil)
	if err != nil {
		t.Fatal(err)
	}
	mp, err := New(DefaultConfig(), conns.Mempool, os.Getenv(crashDirEnv), nil)
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg   sync.WaitGroup
		out  sync.Mutex
		acks int
	)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil && i < 4000; i++ {
				tx := fmt.Sprintf("crash%02d-%05d=v", g, i)
				res, err := mp.CheckTx(ctx, []byte(tx), "")
				if err != nil || !res.IsOK() {
					continue
				}
				out.Lock()
				fmt.Fprintf(os.Stdout, "%s%s\n", ackedPrefix, tx)
				if acks++; acks == crashAfterAcks {
					_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				}
				out.Unlock()
			}
		}()
	}
	wg.Wait()
}
