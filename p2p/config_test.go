package p2p

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRedialDelayDoublesUpToTheCapWithJitter(t *testing.T) {
	lo, hi := 100*time.Millisecond, 1600*time.Millisecond
	none := func(time.Duration) time.Duration { return 0 }
	most := func(n time.Duration) time.Duration { return n - 1 }
	var asked []time.Duration
	record := func(n time.Duration) time.Duration { asked = append(asked, n); return 0 }
	wantBase := []time.Duration{100, 200, 400, 800, 1600, 1600, 1600}
	for attempt, base := range wantBase {
		base *= time.Millisecond
		if got := redialDelay(attempt, lo, hi, none); got != base-base/2 {
			t.Errorf("attempt %d without jitter: %v, want %v", attempt, got, base-base/2)
		}
		if got := redialDelay(attempt, lo, hi, most); got != base {
			t.Errorf("attempt %d with the most jitter: %v, want %v", attempt, got, base)
		}
		redialDelay(attempt, lo, hi, record)
		if asked[len(asked)-1] != base/2+1 {
			t.Errorf("attempt %d asked the jitter source for [0,%v), want [0,%v)", attempt, asked[len(asked)-1], base/2+1)
		}
	}
	if got := redialDelay(1000, lo, hi, most); got != hi {
		t.Errorf("attempt 1000: %v, want the cap %v", got, hi)
	}
}

func TestParseAddress(t *testing.T) {
	id := "0123456789abcdef0123456789abcdef01234567"
	good := map[string]Address{
		id + "@127.0.0.1:26656":        {ID(id), "127.0.0.1:26656"},
		"tcp://" + id + "@node0:26656": {ID(id), "node0:26656"},
		id + "@[::1]:1":                {ID(id), "[::1]:1"},
	}
	for s, want := range good {
		if got, err := ParseAddress(s); err != nil || got != want {
			t.Errorf("%s: %v %v", s, got, err)
		}
	}
	for _, s := range []string{
		"127.0.0.1:26656", id + "@127.0.0.1", id + "@:26656", id + "@host:0", id + "@host:70000",
		"0123@127.0.0.1:1", strings.ToUpper(id) + "@127.0.0.1:1", "zz" + id[2:] + "@h:1",
	} {
		if _, err := ParseAddress(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	key := testKeys(1)[0]
	bad := map[string]func(*Config){
		"no chain":           func(c *Config) { c.ChainID = "" },
		"no channels":        func(c *Config) { c.Channels = nil },
		"reserved channel":   func(c *Config) { c.Channels = append(c.Channels, ChannelSpec{ID: 0, MaxMessageBytes: 1, QueueSize: 1}) },
		"duplicate channel":  func(c *Config) { c.Channels = append(c.Channels, c.Channels[0]) },
		"zero queue":         func(c *Config) { c.Channels[0].QueueSize = 0 },
		"bad peer":           func(c *Config) { c.PersistentPeers = []string{"nope"} },
		"idle below ping":    func(c *Config) { c.PingInterval, c.IdleTimeout = time.Second, time.Second },
		"redial max too low": func(c *Config) { c.RedialMin, c.RedialMax = time.Second, time.Millisecond },
	}
	for name, edit := range bad {
		cfg := testConfig("127.0.0.1:0")
		cfg.Channels = DefaultChannels(1<<20, 1<<10)
		edit(&cfg)
		if _, err := New(cfg, key, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(testConfig("127.0.0.1:0"), nil, nil); err == nil {
		t.Error("nil key accepted")
	}
}

func TestStartReportsABusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	h, err := New(testConfig("tcp://"+ln.Addr().String()), testKeys(1)[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(t.Context()); err == nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Fatalf("start on a busy port: %v", err)
	}
	h.Stop()
}

func TestNodeKeyFileGivesAStableID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node_key.json")
	k1, err := LoadOrGenNodeKey(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrGenNodeKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if IDOf(k1.PubKey()) != IDOf(k2.PubKey()) || string(k1.ID()) != string(IDOf(k1.PubKey())) {
		t.Fatalf("IDs %s, %s, CometBFT's %s", IDOf(k1.PubKey()), IDOf(k2.PubKey()), k1.ID())
	}
	if err := IDOf(k1.PubKey()).validate(); err != nil {
		t.Fatal(err)
	}
}
