package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/config"
)

// execute runs the command line in process and returns what it printed.
func execute(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func mustExecute(t *testing.T, args ...string) string {
	t.Helper()
	out, err := execute(t, args...)
	if err != nil {
		t.Fatalf("bftnode %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func paths(home string) *config.Config { return config.DefaultConfig().SetRoot(home) }

func TestInitThenShowNodeIDAndValidator(t *testing.T) {
	home := t.TempDir()
	out := mustExecute(t, "init", "--home", home)
	if !strings.Contains(out, "Generated genesis") {
		t.Errorf("init printed %q", out)
	}
	cfg := paths(home)

	key, err := p2p.LoadNodeKey(cfg.NodeKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(mustExecute(t, "show-node-id", "--home", home)); got != string(key.ID()) {
		t.Errorf("show-node-id = %q, node_key.json says %q", got, key.ID())
	}

	pv := privval.LoadFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	want, _ := cmtjson.Marshal(pv.Key.PubKey)
	if got := strings.TrimSpace(mustExecute(t, "show_validator", "--home", home)); got != string(want) {
		t.Errorf("show-validator = %s, want %s", got, want)
	}

	genesis, err := types.GenesisDocFromFile(cfg.GenesisFile())
	if err != nil {
		t.Fatal(err)
	}
	if len(genesis.Validators) != 1 || !genesis.Validators[0].PubKey.Equals(pv.Key.PubKey) {
		t.Errorf("genesis validators %+v are not this node", genesis.Validators)
	}
}

func TestInitIsIdempotent(t *testing.T) {
	home := t.TempDir()
	mustExecute(t, "init", "--home", home)
	before := readTree(t, home)
	out := mustExecute(t, "init", "--home", home, "--chain-id", "other", "--protocol", "pbft")
	if strings.Contains(out, "Generated") {
		t.Errorf("second init generated something: %s", out)
	}
	if !strings.Contains(out, "--protocol not written") {
		t.Errorf("second init did not warn that --protocol was not applied: %s", out)
	}
	if after := readTree(t, home); !sameTree(before, after) {
		t.Error("second init changed files")
	}
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(path)
			files[path] = string(data)
		}
		return err
	})
	return files
}

func sameTree(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestInitFlagsAndHomeFromEnv(t *testing.T) {
	home := t.TempDir()
	t.Setenv(config.HomeEnv, home)
	mustExecute(t, "init", "--chain-id", "demo-1", "--protocol", "pbft")
	cfg, err := config.Load(home, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Consensus.Protocol != "pbft" {
		t.Errorf("protocol %q, want pbft", cfg.Consensus.Protocol)
	}
	genesis, err := types.GenesisDocFromFile(cfg.GenesisFile())
	if err != nil || genesis.ChainID != "demo-1" {
		t.Errorf("genesis %v, err %v", genesis, err)
	}
}

func TestInitRejectsBadProtocol(t *testing.T) {
	home := t.TempDir()
	_, err := execute(t, "init", "--home", home, "--protocol", "raft")
	if err == nil || !strings.Contains(err.Error(), "[consensus] protocol") {
		t.Fatalf("init --protocol raft: %v", err)
	}
	if entries, _ := os.ReadDir(home); len(entries) != 0 {
		t.Errorf("a rejected init wrote %d entries", len(entries))
	}
}

func TestTestnetHomesAgree(t *testing.T) {
	out := t.TempDir()
	mustExecute(t, "testnet", "--v", "4", "--n", "1", "--o", out, "--starting-ip-address", "10.0.0.1")
	var genesis []byte
	ids := make([]string, 5)
	var peerLists []string
	for i := range 5 {
		dir := filepath.Join(out, "node"+string(rune('0'+i)))
		cfg, err := config.Load(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("node%d config: %v", i, err)
		}
		doc, err := types.GenesisDocFromFile(cfg.GenesisFile())
		if err != nil {
			t.Fatalf("node%d genesis: %v", i, err)
		}
		data, _ := os.ReadFile(cfg.GenesisFile())
		if i == 0 {
			genesis = data
			if len(doc.Validators) != 4 {
				t.Errorf("genesis has %d validators, want 4", len(doc.Validators))
			}
		} else if !bytes.Equal(data, genesis) {
			t.Errorf("node%d genesis differs", i)
		}
		pv := privval.LoadFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
		if i < 4 && (!doc.Validators[i].PubKey.Equals(pv.Key.PubKey) || doc.Validators[i].Power != 10) {
			t.Errorf("validator %d in genesis is not node%d's key with power 10", i, i)
		}
		key, err := p2p.LoadNodeKey(cfg.NodeKeyFile())
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = string(key.ID())
		if shown := strings.TrimSpace(mustExecute(t, "show-node-id", "--home", dir)); shown != ids[i] {
			t.Errorf("show-node-id of node%d = %s, want %s", i, shown, ids[i])
		}
		peerLists = append(peerLists, cfg.P2P.PersistentPeers)
	}
	for i, list := range peerLists {
		var want []string
		for j, id := range ids {
			if j != i {
				want = append(want, id+"@10.0.0."+string(rune('1'+j))+":26656")
			}
		}
		if list != strings.Join(want, ",") {
			t.Errorf("node%d persistent_peers = %s\nwant %s", i, list, strings.Join(want, ","))
		}
	}
}

func TestTestnetOptionsReachTheHomes(t *testing.T) {
	out := t.TempDir()
	tpl := filepath.Join(t.TempDir(), "template.toml")
	os.WriteFile(tpl, []byte("[mempool]\nsize = 77\n"), 0o644)
	mustExecute(t, "testnet", "--v", "2", "--o", out, "--base-port", "40000", "--power", "3,5",
		"--external-apps", "--protocol", "pbft", "--chain-id", "local", "--config", tpl)
	cfg, err := config.Load(filepath.Join(out, "node1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.P2P.ListenAddress != "tcp://127.0.0.1:40010" || cfg.ProxyApp != "tcp://127.0.0.1:40012" ||
		cfg.Consensus.Protocol != "pbft" || cfg.Mempool.Size != 77 {
		t.Errorf("node1: p2p %s app %s protocol %s size %d", cfg.P2P.ListenAddress, cfg.ProxyApp,
			cfg.Consensus.Protocol, cfg.Mempool.Size)
	}
	doc, err := types.GenesisDocFromFile(cfg.GenesisFile())
	if err != nil || doc.ChainID != "local" || doc.Validators[1].Power != 5 {
		t.Errorf("genesis %+v, err %v", doc, err)
	}
	if _, err := execute(t, "testnet", "--v", "2", "--o", t.TempDir(), "--power", "1"); err == nil {
		t.Error("testnet accepted one power for two validators")
	}
}

func TestUnsafeResetAllKeepsKeys(t *testing.T) {
	home := t.TempDir()
	mustExecute(t, "init", "--home", home)
	cfg := paths(home)
	pv := privval.LoadFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	vote := &cmtproto.Vote{Type: cmtproto.PrecommitType, Height: 9, Timestamp: time.Now(), ValidatorAddress: pv.Key.Address}
	if err := pv.SignVote("c", vote); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(cfg.DBDir(), "blockstore.db"), 0o700)
	keys := map[string][]byte{}
	for _, p := range []string{cfg.PrivValidatorKeyFile(), cfg.NodeKeyFile(), cfg.GenesisFile(), cfg.ConfigFile()} {
		keys[p], _ = os.ReadFile(p)
	}

	mustExecute(t, "unsafe-reset-all", "--home", home)

	for p, data := range keys {
		if now, _ := os.ReadFile(p); !bytes.Equal(now, data) {
			t.Errorf("%s changed", p)
		}
	}
	if _, err := os.Stat(filepath.Join(cfg.DBDir(), "blockstore.db")); !os.IsNotExist(err) {
		t.Errorf("blockstore.db survived: %v", err)
	}
	if after := privval.LoadFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile()); after.LastSignState.Height != 0 {
		t.Errorf("validator state at height %d after reset", after.LastSignState.Height)
	}
}

func TestStartRejectsBadConfigNamingTheKey(t *testing.T) {
	cases := []struct {
		name string
		file string
		env  [2]string
		args []string
		want string
	}{
		{name: "file", file: "[consensus]\nprotocol = \"raft\"\n", want: "[consensus] protocol"},
		{name: "unknown key", file: "[consensus]\nprotocl = \"pbft\"\n", want: "unknown key [consensus] protocl"},
		{name: "flag", args: []string{"--rpc.laddr", "localhost:26657"}, want: "[rpc] laddr"},
		{name: "typed flag", args: []string{"--mempool.size", "many"}, want: "mempool.size"},
		{name: "env", env: [2]string{"BFTNODE_P2P_PERSISTENT_PEERS", "nobody@somewhere"}, want: "[p2p] persistent_peers"},
		{name: "env type", env: [2]string{"BFTNODE_CONSENSUS_TIMEOUT_COMMIT", "soon"}, want: "[consensus] timeout_commit"},
		{name: "base key flag", args: []string{"--proxy_app", "kvstor"}, want: "proxy_app"},
		{name: "watermarks", args: []string{"--consensus.checkpoint_interval=50", "--consensus.watermark_window=60"},
			want: "[consensus] watermark_window"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home := t.TempDir()
			mustExecute(t, "init", "--home", home)
			if c.file != "" {
				os.WriteFile(paths(home).ConfigFile(), []byte(c.file), 0o644)
			}
			if c.env[0] != "" {
				t.Setenv(c.env[0], c.env[1])
			}
			_, err := execute(t, append([]string{"start", "--home", home}, c.args...)...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("start: %v; want an error naming %s", err, c.want)
			}
		})
	}
}

func TestStartRunsTheNodeWithAValidConfig(t *testing.T) {
	home := t.TempDir()
	if _, err := execute(t, "start", "--home", home); err == nil || !strings.Contains(err.Error(), "bftnode init") {
		t.Fatalf("start before init: %v", err)
	}
	mustExecute(t, "init", "--home", home)
	for _, verb := range []string{"start", "node", "run"} {
		// A single validator commits blocks on its own; the command runs
		// until its context ends and then stops cleanly.
		var out syncBuffer
		root := newRootCmd()
		root.SetOut(&out)
		root.SetErr(&out)
		root.SetArgs([]string{verb, "--home", home, "--consensus.protocol", "pbft", "--log_level", "info",
			"--rpc.laddr", "tcp://127.0.0.1:0", "--p2p.laddr", "tcp://127.0.0.1:0",
			"--consensus.create_empty_blocks_interval", "50ms"})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- root.ExecuteContext(ctx) }()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(out.String(), "committed block") && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("%s: %v\n%s", verb, err, out.String())
		}
		if !strings.Contains(out.String(), "committed block") {
			t.Fatalf("%s committed no block:\n%s", verb, out.String())
		}
		if !strings.Contains(out.String(), "protocol=pbft") {
			t.Errorf("%s did not pass the flag through: %q", verb, out.String())
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the node's goroutines and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestStartHasAFlagForEveryKey(t *testing.T) {
	root := newRootCmd()
	start, _, err := root.Find([]string{"start"})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range config.Keys() {
		f := start.Flags().Lookup(k.Path())
		if f == nil {
			f = root.PersistentFlags().Lookup(k.Path())
		}
		if f == nil {
			t.Errorf("no flag --%s", k.Path())
		}
	}
}

func TestLogFormatAndLevelApply(t *testing.T) {
	home := t.TempDir()
	t.Setenv("BFTNODE_LOG_FORMAT", "json")
	out := mustExecute(t, "init", "--home", home)
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line %q is not JSON", line)
		}
	}
	if out := mustExecute(t, "init", "--home", home, "--log_level", "*:error"); out != "" {
		t.Errorf("info lines printed at level error: %q", out)
	}
}

func TestVersion(t *testing.T) {
	out := mustExecute(t, "version")
	for _, want := range []string{"bftnode 0.1.0", "ABCI 2.0.0", "block protocol 11"} {
		if !strings.Contains(out, want) {
			t.Errorf("version output %q lacks %q", out, want)
		}
	}
	var info map[string]any
	if err := json.Unmarshal([]byte(mustExecute(t, "version", "--json")), &info); err != nil {
		t.Fatal(err)
	}
	if info["abci"] != "2.0.0" || info["block_protocol"] != float64(11) {
		t.Errorf("version --json = %v", info)
	}
}
