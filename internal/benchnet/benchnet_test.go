package benchnet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseVmRSS(t *testing.T) {
	mb, err := parseVmRSS([]byte("Name:\tbftnode\nVmPeak:\t 999 kB\nVmRSS:\t  153600 kB\nThreads: 9\n"))
	if err != nil || mb != 150 {
		t.Fatalf("got %v MB, %v; want 150", mb, err)
	}
	for _, bad := range []string{"Name: x\n", "VmRSS: lots kB\n", "VmRSS: 12 MB\n"} {
		if _, err := parseVmRSS([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestReadRSSOfThisProcess(t *testing.T) {
	mb, err := ReadRSS(os.Getpid())
	if err != nil || mb <= 1 {
		t.Fatalf("RSS of the test process: %v MB, %v", mb, err)
	}
}

func TestEditTOMLSetsExistingKeysAndRefusesUnknownOnes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	orig := "proxy_app = \"tcp://127.0.0.1:26658\"\n[rpc]\nladdr = \"tcp://127.0.0.1:26657\"\n[consensus]\ntimeout_commit = \"1s\"\n"
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	err := editTOML(path, map[string]map[string]any{
		"":          {"proxy_app": "tcp://127.0.0.1:40002"},
		"consensus": {"timeout_commit": "200ms"},
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	for _, want := range []string{"tcp://127.0.0.1:40002", "200ms", "tcp://127.0.0.1:26657"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("edited file lacks %q:\n%s", want, b)
		}
	}
	if err := editTOML(path, map[string]map[string]any{"rpc": {"no_such_key": 1}}); err == nil {
		t.Error("an unknown key was accepted")
	}
	if err := editTOML(path, map[string]map[string]any{"nosuchtable": {"x": 1}}); err == nil {
		t.Error("an unknown table was accepted")
	}
}

func TestParsePerfCountsSumsEveryEvent(t *testing.T) {
	csv := "80,,syscalls:sys_enter_fsync,5694054,100.00,,\n3,,syscalls:sys_enter_fdatasync,5694054,100.00,,\n"
	n, err := parsePerfCounts(csv, syncEvents)
	if err != nil || n != 83 {
		t.Fatalf("got %d, %v; want 83", n, err)
	}
	if _, err := parsePerfCounts("<not supported>,,syscalls:sys_enter_fsync,0,100.00,,\n", syncEvents); err == nil {
		t.Fatal("an uncounted event was read as a count")
	}
	if _, err := parsePerfCounts("80,,syscalls:sys_enter_fsync,1,100.00,,\n", syncEvents); err == nil {
		t.Fatal("a missing event was read as zero")
	}
}
