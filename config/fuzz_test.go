package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzLoad feeds arbitrary config.toml files to Load: it must return a
// config or an error, never panic; Validate must not panic on what loads;
// and what loads must survive a write and a reload unchanged.
func FuzzLoad(f *testing.F) {
	f.Add(Render(DefaultConfig()))
	f.Add([]byte("[consensus]\nprotocol = \"pbft\"\ntimeout_propose = \"1s\"\n"))
	f.Add([]byte("[p2p]\npersistent_peers = \"" + peerID + "@[::1]:1,x@y\"\n"))
	f.Add([]byte("[rpc]\ncors_allowed_origins = [\"*\", 1]\nmax_body_bytes = 1e3\n"))
	f.Add([]byte("moniker = 1979-05-27T07:32:00Z\n[mempool]\nsize = -1\n[[rpc]]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		home := t.TempDir()
		path := filepath.Join(home, ConfigDirName, ConfigFileName)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(home, nil)
		if err != nil {
			return
		}
		_ = cfg.Validate()
		if err := WriteConfigFile(path, cfg); err != nil {
			t.Fatal(err)
		}
		again, err := Load(home, nil)
		if err != nil {
			t.Fatalf("reloading a written config: %v", err)
		}
		if !reflect.DeepEqual(cfg, again) {
			t.Fatalf("write and reload changed the config:\n%+v\n%+v", cfg, again)
		}
	})
}
