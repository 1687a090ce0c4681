package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestWriteConfigFileRoundTripsDefaults(t *testing.T) {
	home := t.TempDir()
	want := DefaultConfig().SetRoot(home)
	if err := WriteConfigFile(want.ConfigFile(), want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(home, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults did not round-trip:\n got %+v\nwant %+v", got, want)
	}
}

func TestWriteConfigFileRoundTripsEveryKey(t *testing.T) {
	home := t.TempDir()
	want := DefaultConfig().SetRoot(home)
	for _, k := range Keys() {
		k.field(want).Set(reflect.ValueOf(sampleFor(k, DefaultConfig()).want))
	}
	// Strings that need TOML escapes.
	want.Moniker = "a \"quoted\" \\ name\twith ünïcode\x01"
	want.RPC.CORSAllowedOrigins = []string{`https://a.example`, `x"y`, ""}
	if err := WriteConfigFile(want.ConfigFile(), want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(home, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("config did not round-trip:\n got %+v\nwant %+v", got, want)
	}
}

func TestWrittenFileCommentsEveryKey(t *testing.T) {
	lines := strings.Split(string(Render(DefaultConfig())), "\n")
	section := ""
	seen := map[string]bool{}
	for i, line := range lines {
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[]")
			continue
		}
		name, _, ok := strings.Cut(line, " = ")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		k, known := LookupKey(Key{Section: section, Name: name}.Path())
		if !known {
			t.Errorf("line %d writes unknown key %q", i+1, line)
			continue
		}
		if i == 0 || lines[i-1] != "# "+k.Doc {
			t.Errorf("key %s is not preceded by its comment", k)
		}
		seen[k.Path()] = true
	}
	if len(seen) != len(Keys()) {
		t.Errorf("file holds %d keys, want %d", len(seen), len(Keys()))
	}
}

func TestWriteConfigFileCreatesDirAndReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a", "b", "config.toml")
	cfg := DefaultConfig()
	if err := WriteConfigFile(path, cfg); err != nil {
		t.Fatal(err)
	}
	cfg.Moniker = "second"
	if err := WriteConfigFile(path, cfg); err != nil {
		t.Fatal(err)
	}
	got, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Moniker != "second" {
		t.Errorf("moniker = %q after rewrite", got.Moniker)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
}

func TestWriteConfigFileReportsFailure(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteConfigFile(filepath.Join(blocker, "config.toml"), DefaultConfig())
	if err == nil || !strings.Contains(err.Error(), blocker) {
		t.Errorf("writing under a file: %v", err)
	}
}

func TestCloneIsDeep(t *testing.T) {
	a := DefaultConfig()
	for _, k := range Keys() {
		if k.Kind == KindStringList {
			k.field(a).Set(reflect.ValueOf([]string{"original"}))
		}
	}
	b := a.Clone()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("clone differs")
	}
	for _, k := range Keys() {
		if k.Kind != KindStringList {
			continue
		}
		k.field(b).Index(0).SetString("changed")
		if k.field(a).Index(0).String() != "original" {
			t.Errorf("%s shares its items between clones", k)
		}
	}
}
