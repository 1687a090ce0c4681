package testnet

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/config"
)

func opts(dir string) Options {
	return Options{Validators: 4, NonValidators: 1, OutputDir: dir, NodeDirPrefix: "node",
		HostnamePrefix: "node", StartingIP: "192.168.0.1", PopulatePeers: true, Protocol: "pbft"}
}

func loadNode(t *testing.T, dir string) *config.Config {
	t.Helper()
	cfg, err := config.Load(dir, nil)
	if err != nil {
		t.Fatalf("config of %s: %v", dir, err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config of %s: %v", dir, err)
	}
	return cfg
}

func TestGenerateValidatorsAndFullNodesAgree(t *testing.T) {
	out := t.TempDir()
	nodes, err := Generate(opts(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 5 {
		t.Fatalf("%d nodes, want 5", len(nodes))
	}
	var firstGenesis []byte
	for i, n := range nodes {
		cfg := loadNode(t, n.Dir)
		if n.Dir != filepath.Join(out, "node"+string(rune('0'+i))) || cfg.Moniker != n.Moniker {
			t.Errorf("node %d at %s named %s", i, n.Dir, cfg.Moniker)
		}
		data, err := os.ReadFile(cfg.GenesisFile())
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			firstGenesis = data
		} else if !bytes.Equal(data, firstGenesis) {
			t.Errorf("node %d has a different genesis", i)
		}
		key, err := p2p.LoadNodeKey(cfg.NodeKeyFile())
		if err != nil || key.ID() != n.ID {
			t.Errorf("node %d key %v, err %v; reported id %s", i, key, err, n.ID)
		}
		wantHost := "192.168.0." + string(rune('1'+i))
		if n.Host != wantHost || cfg.P2P.ExternalAddress != wantHost+":26656" {
			t.Errorf("node %d at %s, external address %s", i, n.Host, cfg.P2P.ExternalAddress)
		}
		if cfg.P2P.ListenAddress != "tcp://0.0.0.0:26656" || cfg.RPC.ListenAddress != "tcp://0.0.0.0:26657" ||
			cfg.Instrumentation.PrometheusListenAddr != ":26660" || cfg.ProxyApp != "kvstore" {
			t.Errorf("node %d addresses: p2p %s rpc %s metrics %s app %s", i, cfg.P2P.ListenAddress,
				cfg.RPC.ListenAddress, cfg.Instrumentation.PrometheusListenAddr, cfg.ProxyApp)
		}
		if cfg.Consensus.Protocol != "pbft" {
			t.Errorf("node %d protocol %s", i, cfg.Consensus.Protocol)
		}
		checkPeers(t, cfg, nodes, i)
	}
	checkGenesisValidators(t, nodes, []int64{10, 10, 10, 10})
}

// checkPeers asserts that node i's persistent peers are exactly the other
// nodes, at their advertised addresses.
func checkPeers(t *testing.T, cfg *config.Config, nodes []Node, i int) {
	t.Helper()
	peers, err := config.ParsePeers(cfg.P2P.PersistentPeers)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for j, n := range nodes {
		if j != i {
			want[string(n.ID)] = n.P2PAddress()
		}
	}
	if len(peers) != len(want) {
		t.Errorf("node %d has %d peers, want %d", i, len(peers), len(want))
	}
	for _, p := range peers {
		if want[p.ID] != p.Addr() {
			t.Errorf("node %d lists peer %s, want %s at %s", i, p, p.ID, want[p.ID])
		}
	}
}

func checkGenesisValidators(t *testing.T, nodes []Node, powers []int64) {
	t.Helper()
	doc, err := types.GenesisDocFromFile(filepath.Join(nodes[0].Dir, "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Validators) != len(powers) {
		t.Fatalf("genesis has %d validators, want %d", len(doc.Validators), len(powers))
	}
	for i, n := range nodes {
		pv := privval.LoadFilePV(filepath.Join(n.Dir, "config", "priv_validator_key.json"),
			filepath.Join(n.Dir, "data", "priv_validator_state.json"))
		if !n.Validator {
			for _, v := range doc.Validators {
				if v.PubKey.Equals(pv.Key.PubKey) {
					t.Errorf("full node %d is in the validator set", i)
				}
			}
			continue
		}
		v := doc.Validators[i]
		if !v.PubKey.Equals(pv.Key.PubKey) || v.Power != powers[i] || v.Name != n.Moniker {
			t.Errorf("validator %d = %s power %d name %s, want node key, power %d", i, v.Address, v.Power, v.Name, powers[i])
		}
	}
}

func TestGenerateOnOneHostWithBasePort(t *testing.T) {
	o := opts(t.TempDir())
	o.Validators, o.NonValidators, o.StartingIP, o.BasePort, o.ExternalApps = 3, 0, "", 30000, true
	o.Powers = []int64{1, 2, 3}
	nodes, err := Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for i, n := range nodes {
		cfg := loadNode(t, n.Dir)
		b := 30000 + 10*i
		want := []string{
			"tcp://" + address("127.0.0.1", b), "tcp://" + address("127.0.0.1", b+1),
			"tcp://" + address("127.0.0.1", b+2), address("127.0.0.1", b+3),
		}
		got := []string{cfg.P2P.ListenAddress, cfg.RPC.ListenAddress, cfg.ProxyApp,
			cfg.Instrumentation.PrometheusListenAddr}
		for k := range want {
			if got[k] != want[k] {
				t.Errorf("node %d: %s, want %s", i, got[k], want[k])
			}
			if used[got[k]] {
				t.Errorf("node %d reuses %s", i, got[k])
			}
			used[got[k]] = true
		}
		checkPeers(t, cfg, nodes, i)
	}
	checkGenesisValidators(t, nodes, []int64{1, 2, 3})
}

func TestGenerateWithHostnames(t *testing.T) {
	o := opts(t.TempDir())
	o.StartingIP, o.HostnamePrefix, o.PopulatePeers = "", "validator-", false
	nodes, err := Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	cfg := loadNode(t, nodes[2].Dir)
	if cfg.P2P.ExternalAddress != "validator-2:26656" || cfg.P2P.PersistentPeers != "" {
		t.Errorf("external %s, peers %q", cfg.P2P.ExternalAddress, cfg.P2P.PersistentPeers)
	}
}

func TestGenerateRejectsBadOptions(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(o *Options)
		want   string
	}{
		{"no validators", func(o *Options) { o.Validators = 0 }, "at least one validator"},
		{"negative full nodes", func(o *Options) { o.NonValidators = -1 }, "cannot be negative"},
		{"powers count", func(o *Options) { o.Powers = []int64{1, 2} }, "2 powers given for 4 validators"},
		{"zero power", func(o *Options) { o.Powers = []int64{1, 0, 1, 1} }, "must be positive"},
		{"ipv6", func(o *Options) { o.StartingIP = "fd00::1" }, "not an IPv4 address"},
		{"ip overflow", func(o *Options) { o.StartingIP = "255.255.255.253" }, "no room for 5 nodes"},
		{"base port too high", func(o *Options) { o.BasePort = 65500 }, "does not leave room"},
		{"unspecified host", func(o *Options) { o.BasePort, o.StartingIP = 30000, "0.0.0.0" }, "peers can dial"},
		{"bad prefix", func(o *Options) { o.NodeDirPrefix = "a/b" }, "plain name"},
		{"bad chain id", func(o *Options) { o.ChainID = strings.Repeat("c", 60) }, "chain_id"},
		{"bad template", func(o *Options) {
			o.Template = config.DefaultConfig()
			o.Template.Mempool.Size = 0
		}, "[mempool] size"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := t.TempDir()
			o := opts(out)
			c.mutate(&o)
			_, err := Generate(o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("failed Generate left %d entries behind", len(entries))
			}
		})
	}
}

func TestGenerateRefusesNonEmptyNodeDir(t *testing.T) {
	out := t.TempDir()
	existing := filepath.Join(out, "node3", "keep.txt")
	os.MkdirAll(filepath.Dir(existing), 0o755)
	os.WriteFile(existing, []byte("mine"), 0o644)
	_, err := Generate(opts(out))
	if err == nil || !strings.Contains(err.Error(), "node3 is not empty") {
		t.Fatalf("err = %v", err)
	}
	if data, _ := os.ReadFile(existing); string(data) != "mine" {
		t.Error("existing file touched")
	}
	if _, err := os.Stat(filepath.Join(out, "node0")); !os.IsNotExist(err) {
		t.Error("node0 created before the check failed")
	}
}
