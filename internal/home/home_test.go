package home

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/config"
)

func newHome(t *testing.T) *config.Config {
	t.Helper()
	return config.DefaultConfig().SetRoot(t.TempDir())
}

func initHome(t *testing.T, cfg *config.Config, opts InitOptions) []Step {
	t.Helper()
	steps, err := Init(cfg, opts)
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	return steps
}

func TestInitWritesFilesCometBFTReads(t *testing.T) {
	cfg := newHome(t)
	cfg.Consensus.Protocol = config.ProtocolPBFT
	steps := initHome(t, cfg, InitOptions{ChainID: "my-chain"})
	for _, s := range steps {
		if !s.Created {
			t.Errorf("%s at %s not created on an empty home", s.What, s.Path)
		}
	}

	pv := privval.LoadFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	if pv.LastSignState.Height != 0 {
		t.Errorf("new validator state at height %d", pv.LastSignState.Height)
	}
	if _, err := p2p.LoadNodeKey(cfg.NodeKeyFile()); err != nil {
		t.Errorf("node key: %v", err)
	}
	doc, err := types.GenesisDocFromFile(cfg.GenesisFile())
	if err != nil {
		t.Fatalf("genesis: %v", err)
	}
	if doc.ChainID != "my-chain" || doc.InitialHeight != 1 || string(doc.AppState) != "{}" {
		t.Errorf("genesis chain %q height %d app state %s", doc.ChainID, doc.InitialHeight, doc.AppState)
	}
	if len(doc.Validators) != 1 || !doc.Validators[0].PubKey.Equals(pv.Key.PubKey) || doc.Validators[0].Power != DefaultPower {
		t.Errorf("genesis validators %+v, want this node's key with power %d", doc.Validators, DefaultPower)
	}
	loaded, err := config.Load(cfg.RootDir, nil)
	if err != nil || loaded.Consensus.Protocol != config.ProtocolPBFT {
		t.Errorf("config.toml: protocol %v, err %v", loaded, err)
	}
	for _, path := range []string{cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile(), cfg.NodeKeyFile()} {
		if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, err %v; keys must be private", path, info.Mode(), err)
		}
	}
}

func TestInitIsIdempotent(t *testing.T) {
	cfg := newHome(t)
	initHome(t, cfg, InitOptions{})
	before := snapshot(t, cfg.RootDir)
	steps := initHome(t, cfg, InitOptions{ChainID: "other"})
	for _, s := range steps {
		if s.Created {
			t.Errorf("second Init created %s", s.What)
		}
	}
	if after := snapshot(t, cfg.RootDir); !equalMaps(before, after) {
		t.Errorf("second Init changed files")
	}
}

// snapshot maps every file under dir to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		files[path] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func equalMaps(a, b map[string]string) bool {
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

func TestInitRefusesDamagedFiles(t *testing.T) {
	cases := map[string]func(cfg *config.Config) string{
		"validator key": func(cfg *config.Config) string { return cfg.PrivValidatorKeyFile() },
		"node key":      func(cfg *config.Config) string { return cfg.NodeKeyFile() },
		"genesis":       func(cfg *config.Config) string { return cfg.GenesisFile() },
		"state":         func(cfg *config.Config) string { return cfg.PrivValidatorStateFile() },
	}
	for name, file := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := newHome(t)
			initHome(t, cfg, InitOptions{})
			path := file(cfg)
			if err := os.WriteFile(path, []byte(`{"broken":`), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Init(cfg, InitOptions{})
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Fatalf("Init over a damaged %s: %v", name, err)
			}
			if data, _ := os.ReadFile(path); string(data) != `{"broken":` {
				t.Errorf("damaged %s was overwritten", name)
			}
		})
	}
}

func TestInitRefusesKeyWithoutState(t *testing.T) {
	cfg := newHome(t)
	initHome(t, cfg, InitOptions{})
	if err := os.Remove(cfg.PrivValidatorStateFile()); err != nil {
		t.Fatal(err)
	}
	_, err := Init(cfg, InitOptions{})
	if err == nil || !strings.Contains(err.Error(), "restore the state file") {
		t.Fatalf("Init with a key but no state: %v", err)
	}
}

func TestLoadPrivValidatorRejectsMismatchedKey(t *testing.T) {
	cfg := newHome(t)
	initHome(t, cfg, InitOptions{})
	pv, err := LoadPrivValidator(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	if err != nil {
		t.Fatal(err)
	}
	pv.Key.PubKey = ed25519.GenPrivKey().PubKey()
	if err := SavePrivValidatorKey(pv, cfg.PrivValidatorKeyFile()); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPrivValidatorKey(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile()); err == nil ||
		!strings.Contains(err.Error(), "does not belong") {
		t.Errorf("mismatched key accepted: %v", err)
	}
}

func TestResetAllKeepsKeysAndConfig(t *testing.T) {
	cfg := newHome(t)
	initHome(t, cfg, InitOptions{ChainID: "c"})
	signAt(t, cfg, 5)

	blockstore := filepath.Join(cfg.DBDir(), "blockstore.db")
	if err := os.MkdirAll(blockstore, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(blockstore, "000001.log"), []byte("blocks"), 0o600)
	os.WriteFile(filepath.Join(cfg.DBDir(), "cs.wal"), []byte("wal"), 0o600)
	kept := map[string][]byte{}
	for _, p := range []string{cfg.ConfigFile(), cfg.GenesisFile(), cfg.NodeKeyFile(), cfg.PrivValidatorKeyFile()} {
		kept[p], _ = os.ReadFile(p)
	}

	report, err := ResetAll(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if report.ValidatorCreated || len(report.Removed) != 3 {
		t.Errorf("report %+v: want blockstore.db, cs.wal and the old state removed", report)
	}
	entries, _ := os.ReadDir(cfg.DBDir())
	if len(entries) != 1 || entries[0].Name() != "priv_validator_state.json" {
		t.Errorf("data dir holds %v after reset", entries)
	}
	pv := privval.LoadFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	if pv.LastSignState.Height != 0 || pv.LastSignState.SignBytes != nil {
		t.Errorf("state after reset: %+v", pv.LastSignState)
	}
	for p, data := range kept {
		if now, _ := os.ReadFile(p); !bytes.Equal(now, data) {
			t.Errorf("%s changed by reset", p)
		}
	}
}

// signAt makes the validator sign a prevote at height, as a running node
// would, moving its state file forward.
func signAt(t *testing.T, cfg *config.Config, height int64) {
	t.Helper()
	pv := privval.LoadFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	vote := &cmtproto.Vote{Type: cmtproto.PrevoteType, Height: height, Timestamp: time.Now(),
		ValidatorAddress: pv.Key.Address}
	if err := pv.SignVote("c", vote); err != nil {
		t.Fatal(err)
	}
	if got := privval.LoadFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile()); got.LastSignState.Height != height {
		t.Fatalf("signing did not persist height %d", height)
	}
}

func TestResetAllKeepsKeysPlacedInDataDir(t *testing.T) {
	cfg := newHome(t)
	cfg.NodeKey = filepath.Join(config.DataDirName, "keys", "node_key.json")
	initHome(t, cfg, InitOptions{})
	os.WriteFile(filepath.Join(cfg.DBDir(), "keys", "junk"), []byte("x"), 0o600)
	id, err := NodeID(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ResetAll(cfg); err != nil {
		t.Fatal(err)
	}
	if after, err := NodeID(cfg); err != nil || after != id {
		t.Errorf("node key in data dir lost: %v %v", after, err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DBDir(), "keys", "junk")); !os.IsNotExist(err) {
		t.Errorf("junk next to the kept key survived: %v", err)
	}
}

func TestResetAllRefusesHomeAsDataDir(t *testing.T) {
	cfg := newHome(t)
	initHome(t, cfg, InitOptions{})
	cfg.DBPath = "."
	if _, err := ResetAll(cfg); err == nil {
		t.Fatal("ResetAll emptied the home directory")
	}
	if _, err := os.Stat(cfg.GenesisFile()); err != nil {
		t.Errorf("genesis gone: %v", err)
	}
}

func TestResetAllWithoutKeyMakesOne(t *testing.T) {
	cfg := newHome(t)
	report, err := ResetAll(cfg)
	if err != nil || !report.ValidatorCreated {
		t.Fatalf("report %+v, err %v", report, err)
	}
	privval.LoadFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
}

func TestShowCommandsMatchFiles(t *testing.T) {
	cfg := newHome(t)
	if _, err := NodeID(cfg); err == nil || !strings.Contains(err.Error(), "bftnode init --home") {
		t.Errorf("NodeID before init: %v", err)
	}
	if err := CheckInitialized(cfg); err == nil || !strings.Contains(err.Error(), "bftnode init --home") {
		t.Errorf("CheckInitialized before init: %v", err)
	}
	initHome(t, cfg, InitOptions{})
	if err := CheckInitialized(cfg); err != nil {
		t.Errorf("CheckInitialized after init: %v", err)
	}
	key, _ := p2p.LoadNodeKey(cfg.NodeKeyFile())
	if id, err := NodeID(cfg); err != nil || id != key.ID() {
		t.Errorf("NodeID = %s, %v; want %s", id, err, key.ID())
	}
	pv := privval.LoadFilePV(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	want, _ := cmtjson.Marshal(pv.Key.PubKey)
	if got, err := ValidatorJSON(cfg); err != nil || !bytes.Equal(got, want) {
		t.Errorf("ValidatorJSON = %s, %v; want %s", got, err, want)
	}
	if !strings.Contains(string(want), `"type":"tendermint/PubKeyEd25519"`) {
		t.Errorf("public key JSON %s is not CometBFT's", want)
	}
}

func TestSaveGenesisRejectsBadValidators(t *testing.T) {
	pub := ed25519.GenPrivKey().PubKey()
	path := filepath.Join(t.TempDir(), "genesis.json")
	cases := map[string][]types.GenesisValidator{
		"negative power": {{PubKey: pub, Power: -1}},
		"zero power":     {{PubKey: pub, Power: 0}},
		"same key twice": {{PubKey: pub, Power: 1}, {PubKey: pub, Power: 2}},
	}
	for name, vals := range cases {
		if err := SaveGenesis(NewGenesis("c", time.Time{}, vals), path); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a rejected genesis was written")
	}
	if err := SaveGenesis(NewGenesis(strings.Repeat("x", 51), time.Time{}, nil), path); err == nil {
		t.Errorf("too long chain id accepted")
	}
}
