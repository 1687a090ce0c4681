package main

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// A home whose config.toml is the one `cometbft init` v0.38.26 writes
// starts and commits blocks; every CometBFT setting bftnode does not
// implement is warned about once, naming it.
func TestStartAcceptsCometBFTConfigFile(t *testing.T) {
	data, err := os.ReadFile("../../config/testdata/cometbft-v0.38.26-config.toml")
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	mustExecute(t, "init", "--home", home)
	if err := os.WriteFile(paths(home).ConfigFile(), data, 0o644); err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	root := newRootCmd()
	root.SetOut(&out)
	root.SetErr(&out)
	// Only the addresses change: the file's app is not running here and its
	// ports may be taken by other tests.
	root.SetArgs([]string{"start", "--home", home, "--proxy_app", "kvstore",
		"--rpc.laddr", "tcp://127.0.0.1:0", "--p2p.laddr", "tcp://127.0.0.1:0"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "committed block") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("start: %v\n%s", err, out.String())
	}
	log := out.String()
	if !strings.Contains(log, "committed block") {
		t.Fatalf("no block committed:\n%s", log)
	}
	for _, key := range []string{"key [statesync] temp_dir", "section [blocksync]", "key [p2p] send_rate = 5120000",
		"key db_backend = \\\"goleveldb\\\"", "key [consensus] skip_timeout_commit = false"} {
		if n := strings.Count(log, key); n != 1 {
			t.Errorf("%q warned %d times, want once:\n%s", key, n, log)
		}
	}
}
