package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// The keys the configuration must have; a key added or dropped without
// updating this list fails TestKeysAreTheDocumentedOnes.
var wantKeys = []string{
	"moniker", "proxy_app", "abci", "db_dir", "log_level", "log_format", "genesis_file",
	"priv_validator_key_file", "priv_validator_state_file", "node_key_file",
	"rpc.laddr", "rpc.cors_allowed_origins", "rpc.cors_allowed_methods", "rpc.cors_allowed_headers",
	"rpc.unsafe", "rpc.max_open_connections", "rpc.max_subscription_clients",
	"rpc.max_subscriptions_per_client", "rpc.timeout_broadcast_tx_commit",
	"rpc.max_request_batch_size", "rpc.max_body_bytes", "rpc.max_header_bytes", "rpc.pprof_laddr",
	"p2p.laddr", "p2p.external_address", "p2p.persistent_peers", "p2p.seeds", "p2p.pex", "p2p.seed_mode",
	"p2p.addr_book_file", "p2p.addr_book_strict", "p2p.max_num_inbound_peers",
	"p2p.max_num_outbound_peers", "p2p.handshake_timeout", "p2p.dial_timeout",
	"p2p.persistent_peers_max_dial_period",
	"p2p.max_packet_msg_payload_size",
	"mempool.recheck", "mempool.size", "mempool.max_txs_bytes", "mempool.max_tx_bytes", "mempool.cache_size",
	"consensus.protocol", "consensus.switch_height", "consensus.switch_protocol", "consensus.timeout_propose", "consensus.timeout_propose_delta",
	"consensus.timeout_prevote", "consensus.timeout_prevote_delta", "consensus.timeout_precommit",
	"consensus.timeout_precommit_delta", "consensus.timeout_commit", "consensus.create_empty_blocks",
	"consensus.create_empty_blocks_interval", "consensus.checkpoint_interval",
	"consensus.watermark_window", "consensus.view_change_timeout", "consensus.request_timeout", "consensus.retransmit_interval",
	"storage.discard_abci_responses", "tx_index.indexer", "tx_index.prune",
	"instrumentation.prometheus", "instrumentation.prometheus_listen_addr",
	"instrumentation.max_open_connections", "instrumentation.namespace",
	"statesync.enable", "statesync.rpc_servers", "statesync.trust_height", "statesync.trust_hash",
	"statesync.trust_period", "statesync.discovery_time", "statesync.chunk_request_timeout", "statesync.chunk_fetchers",
	"kvstore.snapshot_interval", "kvstore.snapshot_keep_recent",
}

func TestKeysAreTheDocumentedOnes(t *testing.T) {
	var got []string
	for _, k := range Keys() {
		got = append(got, k.Path())
	}
	if !reflect.DeepEqual(got, wantKeys) {
		t.Errorf("keys differ\n got: %v\nwant: %v", got, wantKeys)
	}
	if k, _ := LookupKey("consensus.protocol"); k.Env() != "BFTNODE_CONSENSUS_PROTOCOL" || k.String() != "[consensus] protocol" {
		t.Errorf("consensus.protocol: env %s, name %s", k.Env(), k)
	}
	if k, _ := LookupKey("proxy_app"); k.Env() != "BFTNODE_PROXY_APP" || k.String() != "proxy_app" {
		t.Errorf("proxy_app: env %s, name %s", k.Env(), k)
	}
}

// sample is a value for a key that differs from its default, written the
// ways a file, an environment variable and a flag write it.
type sample struct {
	toml, text string // text is the env/flag form
	want       any
}

func sampleFor(k Key, defaults *Config) sample {
	def := k.field(defaults)
	switch k.Kind {
	case KindString:
		s := "v-" + k.Name
		return sample{quoteTOML(s), s, s}
	case KindBool:
		b := !def.Bool()
		return sample{strconv.FormatBool(b), strconv.FormatBool(b), b}
	case KindInt:
		n := int(def.Int()) + 7
		return sample{strconv.Itoa(n), strconv.Itoa(n), n}
	case KindInt64:
		n := def.Int() + 7
		return sample{strconv.FormatInt(n, 10), strconv.FormatInt(n, 10), n}
	case KindDuration:
		d := time.Duration(def.Int()) + 1500*time.Millisecond
		return sample{quoteTOML(d.String()), d.String(), d}
	case KindStringList:
		return sample{`["alpha", "beta"]`, "alpha,beta", []string{"alpha", "beta"}}
	}
	panic("unknown kind")
}

// fileWith writes a config.toml setting the key at path to the TOML value.
func fileWith(t *testing.T, home string, lines ...string) string {
	t.Helper()
	path := filepath.Join(home, ConfigDirName, ConfigFileName)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// tomlLines sets one key in TOML, inside its section.
func tomlLines(k Key, value string) []string {
	if k.Section == "" {
		return []string{k.Name + " = " + value}
	}
	return []string{"[" + k.Section + "]", k.Name + " = " + value}
}

func startFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("start", pflag.ContinueOnError)
	AddFlags(fs, DefaultConfig())
	return fs
}

func TestEveryKeySettableByFileEnvAndFlag(t *testing.T) {
	defaults := DefaultConfig()
	for _, k := range Keys() {
		s := sampleFor(k, defaults)
		t.Run(k.Path()+"/file", func(t *testing.T) {
			home := t.TempDir()
			fileWith(t, home, tomlLines(k, s.toml)...)
			assertLoaded(t, home, nil, k, s.want)
		})
		t.Run(k.Path()+"/env", func(t *testing.T) {
			t.Setenv(k.Env(), s.text)
			assertLoaded(t, t.TempDir(), nil, k, s.want)
		})
		t.Run(k.Path()+"/flag", func(t *testing.T) {
			fs := startFlags()
			if err := fs.Parse([]string{"--" + k.Path() + "=" + s.text}); err != nil {
				t.Fatal(err)
			}
			assertLoaded(t, t.TempDir(), fs, k, s.want)
		})
	}
}

func assertLoaded(t *testing.T, home string, fs *pflag.FlagSet, k Key, want any) {
	t.Helper()
	cfg, err := Load(home, fs)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	got := k.field(cfg).Interface()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s = %#v, want %#v", k, got, want)
	}
	// Only that key changed.
	def := DefaultConfig().SetRoot(home)
	k.field(def).Set(reflect.ValueOf(want))
	if !reflect.DeepEqual(cfg, def) {
		t.Errorf("setting %s changed other keys:\n got %+v\nwant %+v", k, cfg, def)
	}
}

func TestPrecedenceFlagOverEnvOverFileOverDefault(t *testing.T) {
	home := t.TempDir()
	fileWith(t, home, "[consensus]", `protocol = "file"`, "[mempool]", "size = 1")

	load := func(env string, flagArgs ...string) *Config {
		t.Helper()
		if env != "" {
			t.Setenv("BFTNODE_CONSENSUS_PROTOCOL", env)
			t.Setenv("BFTNODE_MEMPOOL_SIZE", "2")
		}
		fs := startFlags()
		if err := fs.Parse(flagArgs); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(home, fs)
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}

	if cfg := load(""); cfg.Consensus.Protocol != "file" || cfg.Mempool.Size != 1 {
		t.Errorf("file over default: protocol %q size %d", cfg.Consensus.Protocol, cfg.Mempool.Size)
	}
	if cfg := load(""); cfg.Mempool.CacheSize != DefaultConfig().Mempool.CacheSize {
		t.Errorf("default when nothing sets it: cache_size %d", cfg.Mempool.CacheSize)
	}
	if cfg := load("env"); cfg.Consensus.Protocol != "env" || cfg.Mempool.Size != 2 {
		t.Errorf("env over file: protocol %q size %d", cfg.Consensus.Protocol, cfg.Mempool.Size)
	}
	cfg := load("env", "--consensus.protocol", "flag", "--mempool.size=3")
	if cfg.Consensus.Protocol != "flag" || cfg.Mempool.Size != 3 {
		t.Errorf("flag over env: protocol %q size %d", cfg.Consensus.Protocol, cfg.Mempool.Size)
	}
	// A flag left at its default does not hide the env or the file.
	cfg = load("env", "--rpc.unsafe")
	if cfg.Consensus.Protocol != "env" || !cfg.RPC.Unsafe {
		t.Errorf("unset flag: protocol %q unsafe %v", cfg.Consensus.Protocol, cfg.RPC.Unsafe)
	}
}

func TestEmptyEnvClearsAList(t *testing.T) {
	home := t.TempDir()
	fileWith(t, home, "[p2p]", `persistent_peers = "x"`, "[rpc]", `cors_allowed_origins = ["*"]`)
	t.Setenv("BFTNODE_P2P_PERSISTENT_PEERS", "")
	t.Setenv("BFTNODE_RPC_CORS_ALLOWED_ORIGINS", "")
	cfg, err := Load(home, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.P2P.PersistentPeers != "" || len(cfg.RPC.CORSAllowedOrigins) != 0 {
		t.Errorf("empty env left peers %q origins %v", cfg.P2P.PersistentPeers, cfg.RPC.CORSAllowedOrigins)
	}
}

func TestMissingFileMeansDefaults(t *testing.T) {
	home := t.TempDir()
	cfg, err := Load(home, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, DefaultConfig().SetRoot(home)) {
		t.Errorf("Load without a file = %+v", cfg)
	}
}

func TestUnknownKeysAreNamed(t *testing.T) {
	cases := []struct {
		name  string
		lines []string
		want  []string
	}{
		{"typo in section", []string{"[consensus]", `protocl = "pbft"`},
			[]string{"unknown key [consensus] protocl in ", "did you mean protocol?"}},
		{"typo at top", []string{`mnoiker = "a"`},
			[]string{"unknown key mnoiker in ", "did you mean moniker?"}},
		{"wrong section", []string{`laddr = "tcp://1.2.3.4:5"`},
			[]string{"unknown key laddr", "[rpc] laddr or [p2p] laddr"}},
		{"cometbft key typo", []string{"[p2p]", "send_ratee = 1"},
			[]string{"unknown key [p2p] send_ratee", "the keys of [p2p] are: laddr"}},
		{"cometbft key in the wrong section", []string{"[rpc]", "pex = true"},
			[]string{"unknown key [rpc] pex"}},
		{"section typo", []string{"[mempol]", "size = 3"},
			[]string{"unknown section [mempol]", "did you mean [mempool]?"}},
		{"typo in a cometbft section", []string{"[blocksync]", "versoin = \"v0\""},
			[]string{"unknown key [blocksync] versoin", "neither bftnode nor CometBFT v0.38 has it", "version"}},
		{"typo in [statesync]", []string{"[statesync]", "enable = false", "trust_heigth = 3"},
			[]string{"unknown key [statesync] trust_heigth", "did you mean trust_height?"}},
		{"typo in [tx_index]", []string{"[tx_index]", "prnue = true"},
			[]string{"unknown key [tx_index] prnue", "the keys of [tx_index] are: indexer, prune"}},
		{"typo of a cometbft section", []string{"[statesycn]", "enable = false"},
			[]string{"unknown section [statesycn]"}},
		{"nonsense", []string{"[rpc]", `zzzzzz = 1`},
			[]string{"unknown key [rpc] zzzzzz", "the keys of [rpc] are: laddr"}},
		{"nested table", []string{"[rpc.extra]", `a = 1`},
			[]string{"unknown key [rpc] extra"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home := t.TempDir()
			path := fileWith(t, home, c.lines...)
			_, err := Load(home, nil)
			if err == nil {
				t.Fatal("Load accepted an unknown key")
			}
			for _, w := range append(c.want, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestAllUnknownKeysReportedAtOnce(t *testing.T) {
	home := t.TempDir()
	fileWith(t, home, `mnoiker = "a"`, "[consensus]", `protocl = "pbft"`)
	_, err := Load(home, nil)
	var uk *UnknownKeyError
	if !errors.As(err, &uk) {
		t.Fatalf("error %v is not an UnknownKeyError", err)
	}
	if !strings.Contains(err.Error(), "mnoiker") || !strings.Contains(err.Error(), "protocl") {
		t.Errorf("error %q misses one of the keys", err)
	}
}

func TestBadValuesNameKeyAndSource(t *testing.T) {
	t.Run("file", func(t *testing.T) {
		home := t.TempDir()
		path := fileWith(t, home, "[mempool]", `size = "lots"`)
		_, err := Load(home, nil)
		assertValueError(t, err, "mempool.size", path, `"lots" is not a whole number`)
	})
	t.Run("duration without unit", func(t *testing.T) {
		home := t.TempDir()
		path := fileWith(t, home, "[consensus]", `timeout_propose = 3000`)
		_, err := Load(home, nil)
		assertValueError(t, err, "consensus.timeout_propose", path, "has no unit")
	})
	t.Run("list of numbers", func(t *testing.T) {
		home := t.TempDir()
		path := fileWith(t, home, "[rpc]", `cors_allowed_methods = [1, 2]`)
		_, err := Load(home, nil)
		assertValueError(t, err, "rpc.cors_allowed_methods", path, "not a string")
	})
	t.Run("env", func(t *testing.T) {
		t.Setenv("BFTNODE_RPC_UNSAFE", "maybe")
		_, err := Load(t.TempDir(), nil)
		assertValueError(t, err, "rpc.unsafe", "environment variable BFTNODE_RPC_UNSAFE", `"maybe" is not a boolean`)
	})
	t.Run("string given a number", func(t *testing.T) {
		home := t.TempDir()
		path := fileWith(t, home, "moniker = 12")
		_, err := Load(home, nil)
		assertValueError(t, err, "moniker", path, "is not a string")
	})
}

func assertValueError(t *testing.T, err error, path, source, reason string) {
	t.Helper()
	var ve *ValueError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v is not a ValueError", err)
	}
	if ve.Key.Path() != path || ve.Source != source {
		t.Errorf("error names key %s from %s, want %s from %s", ve.Key.Path(), ve.Source, path, source)
	}
	if !strings.Contains(err.Error(), reason) || !strings.Contains(err.Error(), ve.Key.String()) {
		t.Errorf("error %q lacks %q or the key", err, reason)
	}
}

func TestInvalidTOMLNamesLine(t *testing.T) {
	home := t.TempDir()
	path := fileWith(t, home, `moniker = "a"`, "[rpc", `laddr = "x"`)
	_, err := Load(home, nil)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("error %v should name %s and line 2", err, path)
	}
}

func TestLoadFile(t *testing.T) {
	home := t.TempDir()
	path := fileWith(t, home, "[consensus]", `protocol = "pbft"`)
	t.Setenv("BFTNODE_MEMPOOL_SIZE", "9") // ignored: LoadFile reads only the file
	cfg, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Consensus.Protocol != "pbft" || cfg.Mempool.Size != DefaultConfig().Mempool.Size {
		t.Errorf("LoadFile: protocol %q size %d", cfg.Consensus.Protocol, cfg.Mempool.Size)
	}
	if _, err := LoadFile(filepath.Join(home, "nope.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadFile of a missing file: %v", err)
	}
}
