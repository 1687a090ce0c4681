package config

import (
	"os"
	"strings"
	"testing"
	"time"

	toml "github.com/pelletier/go-toml/v2"
)

// cometBFTFile is config.toml exactly as `cometbft init` v0.38.26 writes it.
const cometBFTFile = "testdata/cometbft-v0.38.26-config.toml"

func TestCometBFTConfigFileIsAccepted(t *testing.T) {
	home := t.TempDir()
	data, err := os.ReadFile(cometBFTFile)
	if err != nil {
		t.Fatal(err)
	}
	path := fileWith(t, home, string(data))
	cfg, err := Load(home, nil)
	if err != nil {
		t.Fatalf("a CometBFT config.toml is refused: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("a CometBFT config.toml does not validate: %v", err)
	}
	// The keys bftnode implements take the file's values.
	if cfg.ProxyApp != "tcp://127.0.0.1:26658" || cfg.Consensus.TimeoutCommit != time.Second ||
		cfg.Consensus.CreateEmptyBlocksInterval != 0 {
		t.Errorf("file values not applied: proxy_app %q timeout_commit %v interval %v",
			cfg.ProxyApp, cfg.Consensus.TimeoutCommit, cfg.Consensus.CreateEmptyBlocksInterval)
	}
	want := cometOnlySettings(t, data)
	got := map[string]int{}
	for _, s := range cfg.Ignored {
		got[Key{Section: s.Section, Name: s.Name}.Path()]++
		if s.File != path || !strings.Contains(s.String(), path) {
			t.Errorf("warning %q does not name the file %s", s, path)
		}
	}
	for k, n := range got {
		if n != 1 {
			t.Errorf("%s warned %d times, want once", k, n)
		}
		if !want[k] {
			t.Errorf("%s warned about but bftnode implements it", k)
		}
	}
	for k := range want {
		if got[k] == 0 {
			t.Errorf("%s not warned about", k)
		}
	}
}

// cometOnlySettings reads the file independently of the loader: each
// top-level key or key of a bftnode section that bftnode lacks, by path,
// and each section bftnode lacks by its name followed by ".".
func cometOnlySettings(t *testing.T, data []byte) map[string]bool {
	t.Helper()
	var file map[string]any
	if err := toml.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for name, v := range file {
		table, ok := v.(map[string]any)
		if !ok {
			if _, known := LookupKey(name); !known {
				out[name] = true
			}
			continue
		}
		if !isSection(name) {
			out[name+"."] = true
			continue
		}
		for key := range table {
			if _, known := LookupKey(name + "." + key); !known {
				out[name+"."+key] = true
			}
		}
	}
	if !out["statesync.temp_dir"] || !out["p2p.send_rate"] || !out["db_backend"] {
		t.Fatalf("fixture lacks the CometBFT-only settings it should hold: %v", out)
	}
	return out
}

func TestIgnoredSettingWarningNamesKeyAndValue(t *testing.T) {
	home := t.TempDir()
	fileWith(t, home, "[p2p]", "send_rate = 5120000", `private_peer_ids = "a"`, "[blocksync]", `version = "v0"`)
	cfg, err := Load(home, nil)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, s := range cfg.Ignored {
		lines = append(lines, s.String())
	}
	all := strings.Join(lines, "\n")
	for _, w := range []string{"[p2p] send_rate = 5120000", `[p2p] private_peer_ids = "a"`, "section [blocksync]", "with its keys version", "ignored"} {
		if !strings.Contains(all, w) {
			t.Errorf("warnings %q lack %q", all, w)
		}
	}
	if len(lines) != 3 {
		t.Errorf("%d warnings, want 3 (two keys, one section): %q", len(lines), all)
	}
}

func TestIgnoredSettingsDoNotReachValues(t *testing.T) {
	// A CometBFT key whose value bftnode could not parse is still only
	// warned about: it has no effect.
	home := t.TempDir()
	fileWith(t, home, "[consensus]", `double_sign_check_height = "not a number"`, `timeout_commit = "2s"`)
	cfg, err := Load(home, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Consensus.TimeoutCommit != 2*time.Second || len(cfg.Ignored) != 1 {
		t.Errorf("timeout_commit %v, ignored %v", cfg.Consensus.TimeoutCommit, cfg.Ignored)
	}
}

func TestLoadFileListsIgnored(t *testing.T) {
	cfg, err := LoadFile(cometBFTFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Ignored) == 0 {
		t.Error("LoadFile of a CometBFT file lists nothing ignored")
	}
}
