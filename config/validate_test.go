package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const peerID = "0123456789abcdef0123456789abcdef01234567"

func validConfig(t *testing.T) *Config {
	t.Helper()
	return DefaultConfig().SetRoot(t.TempDir())
}

func TestDefaultsAreValid(t *testing.T) {
	cfg := validConfig(t)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
	// The deliberate departures from CometBFT's defaults.
	c := cfg.Consensus
	if c.TimeoutCommit != 0 || !c.CreateEmptyBlocks || c.CreateEmptyBlocksInterval != time.Second {
		t.Errorf("commit %v, empty blocks %v every %v", c.TimeoutCommit, c.CreateEmptyBlocks, c.CreateEmptyBlocksInterval)
	}
	if cfg.ProxyApp != "kvstore" || c.Protocol != ProtocolTendermint {
		t.Errorf("proxy_app %q, protocol %q", cfg.ProxyApp, c.Protocol)
	}
	if cfg.RPC.ListenAddress != "tcp://127.0.0.1:26657" || cfg.P2P.ListenAddress != "tcp://0.0.0.0:26656" ||
		cfg.Instrumentation.PrometheusListenAddr != ":26660" || cfg.Instrumentation.Namespace != "cometbft" {
		t.Errorf("addresses differ from CometBFT's: %+v %+v", cfg.RPC, cfg.P2P)
	}
}

func TestValidAlternativesAccepted(t *testing.T) {
	cases := map[string]func(c *Config){
		"unix rpc":     func(c *Config) { c.RPC.ListenAddress = "unix:///tmp/rpc.sock" },
		"rpc disabled": func(c *Config) { c.RPC.ListenAddress = "" },
		"tcp app":      func(c *Config) { c.ProxyApp = "tcp://127.0.0.1:26658" },
		"unix app":     func(c *Config) { c.ProxyApp = "unix:///var/run/app.sock" },
		"noop app":     func(c *Config) { c.ProxyApp = "noop" },
		"pbft":         func(c *Config) { c.Consensus.Protocol = ProtocolPBFT },
		"switch":       func(c *Config) { c.Consensus.SwitchHeight, c.Consensus.SwitchProtocol = 2, ProtocolPBFT },
		"peers": func(c *Config) {
			c.P2P.PersistentPeers = peerID + "@10.0.0.2:26656, tcp://" + strings.Repeat("a", 40) + "@node1:26656,"
		},
		"ipv6 peer":         func(c *Config) { c.P2P.PersistentPeers = peerID + "@[::1]:26656" },
		"external address":  func(c *Config) { c.P2P.ExternalAddress = "203.0.113.5:26656" },
		"json logs":         func(c *Config) { c.LogFormat = LogFormatJSON },
		"module levels":     func(c *Config) { c.LogLevel = "consensus:debug,*:error" },
		"cors wildcard":     func(c *Config) { c.RPC.CORSAllowedOrigins = []string{"*", "https://*.example.com"} },
		"pprof":             func(c *Config) { c.RPC.PprofListenAddress = "localhost:6060" },
		"null indexer":      func(c *Config) { c.TxIndex.Indexer = IndexerNull },
		"exact watermark":   func(c *Config) { c.Consensus.CheckpointInterval, c.Consensus.WatermarkWindow = 7, 14 },
		"random rpc port":   func(c *Config) { c.RPC.ListenAddress = "tcp://127.0.0.1:0" },
		"absolute key path": func(c *Config) { c.PrivValidatorKey = "/etc/bftnode/key.json" },
		"db elsewhere":      func(c *Config) { c.DBPath = "/var/lib/bftnode" },
	}
	for name, mutate := range cases {
		cfg := validConfig(t)
		mutate(cfg)
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestValidateNamesEachBadKey(t *testing.T) {
	cases := []struct {
		key    string
		mutate func(c *Config)
		reason string
	}{
		{"moniker", func(c *Config) { c.Moniker = " " }, "must not be empty"},
		{"moniker", func(c *Config) { c.Moniker = "naïve" }, "ASCII"},
		{"proxy_app", func(c *Config) { c.ProxyApp = "kvstor" }, "built-in app (kvstore"},
		{"proxy_app", func(c *Config) { c.ProxyApp = "tcp://localhost" }, "not host:port"},
		{"proxy_app", func(c *Config) { c.ProxyApp = "http://localhost:80" }, `scheme "http"`},
		{"proxy_app", func(c *Config) { c.ProxyApp = "unix://" }, "no socket path"},
		{"abci", func(c *Config) { c.ABCI = "grpc" }, `"socket"`},
		{"log_level", func(c *Config) { c.LogLevel = "loud" }, "unknown log level"},
		{"log_format", func(c *Config) { c.LogFormat = "xml" }, `"plain", "text" or "json"`},
		{"db_dir", func(c *Config) { c.DBPath = "" }, "must name a directory"},
		{"db_dir", func(c *Config) { c.DBPath = "." }, "directory of its own"},
		{"db_dir", func(c *Config) { c.DBPath = "config" }, "directory of its own"},
		{"genesis_file", func(c *Config) { c.Genesis = "" }, "must name a file"},
		{"priv_validator_key_file", func(c *Config) { c.PrivValidatorKey = "" }, "must name a file"},
		{"priv_validator_state_file", func(c *Config) { c.PrivValidatorState = c.PrivValidatorKey }, "same file as priv_validator_key_file"},
		{"node_key_file", func(c *Config) { c.NodeKey = filepath.Join(c.RootDir, c.Genesis) }, "same file as genesis_file"},
		{"rpc.laddr", func(c *Config) { c.RPC.ListenAddress = "127.0.0.1:26657" }, "tcp://host:port or unix:///path"},
		{"rpc.laddr", func(c *Config) { c.RPC.ListenAddress = "tcp://127.0.0.1:99999" }, "invalid port"},
		{"rpc.cors_allowed_origins", func(c *Config) { c.RPC.CORSAllowedOrigins = []string{"*.*"} }, "wildcard"},
		{"rpc.cors_allowed_methods", func(c *Config) { c.RPC.CORSAllowedMethods = []string{"get"} }, "not an HTTP method"},
		{"rpc.cors_allowed_headers", func(c *Config) { c.RPC.CORSAllowedHeaders = []string{"X Bad"} }, "not an HTTP header"},
		{"rpc.max_open_connections", func(c *Config) { c.RPC.MaxOpenConnections = -1 }, "not be negative"},
		{"rpc.max_subscription_clients", func(c *Config) { c.RPC.MaxSubscriptionClients = -1 }, "not be negative"},
		{"rpc.max_subscriptions_per_client", func(c *Config) { c.RPC.MaxSubscriptionsPerClient = -1 }, "not be negative"},
		{"rpc.timeout_broadcast_tx_commit", func(c *Config) { c.RPC.TimeoutBroadcastTxCommit = 0 }, "greater than zero"},
		{"rpc.max_request_batch_size", func(c *Config) { c.RPC.MaxRequestBatchSize = -1 }, "not be negative"},
		{"rpc.max_body_bytes", func(c *Config) { c.RPC.MaxBodyBytes = 0 }, "greater than zero"},
		{"rpc.max_header_bytes", func(c *Config) { c.RPC.MaxHeaderBytes = -5 }, "greater than zero"},
		{"rpc.pprof_laddr", func(c *Config) { c.RPC.PprofListenAddress = "localhost" }, "not host:port"},
		{"p2p.laddr", func(c *Config) { c.P2P.ListenAddress = "unix:///tmp/p2p" }, `scheme "unix" is not supported`},
		{"p2p.laddr", func(c *Config) { c.P2P.ListenAddress = "" }, "must be tcp://host:port"},
		{"p2p.external_address", func(c *Config) { c.P2P.ExternalAddress = ":26656" }, "has no host"},
		{"p2p.persistent_peers", func(c *Config) { c.P2P.PersistentPeers = "10.0.0.1:26656" }, "not id@host:port"},
		{"p2p.persistent_peers", func(c *Config) { c.P2P.PersistentPeers = "abc@10.0.0.1:26656" }, "40 lowercase hex"},
		{"p2p.persistent_peers", func(c *Config) { c.P2P.PersistentPeers = strings.ToUpper(peerID) + "@h:1" }, "40 lowercase hex"},
		{"p2p.persistent_peers", func(c *Config) { c.P2P.PersistentPeers = strings.Repeat("g", 40) + "@h:1" }, "40 lowercase hex"},
		{"p2p.persistent_peers", func(c *Config) { c.P2P.PersistentPeers = peerID + "@h:0" }, "invalid port"},
		{"p2p.persistent_peers", func(c *Config) { c.P2P.PersistentPeers = peerID + "@h:1," + peerID + "@g:2" }, "appears twice"},
		{"p2p.seeds", func(c *Config) { c.P2P.Seeds = "10.0.0.1:26656" }, "not id@host:port"},
		{"p2p.seeds", func(c *Config) { c.P2P.PEX, c.P2P.Seeds = false, peerID+"@h:1" }, "needs [p2p] pex = true"},
		{"p2p.seed_mode", func(c *Config) { c.P2P.PEX, c.P2P.SeedMode = false, true }, "needs [p2p] pex = true"},
		{"p2p.addr_book_file", func(c *Config) { c.P2P.AddrBook = "" }, "is empty"},
		{"p2p.max_num_inbound_peers", func(c *Config) { c.P2P.MaxNumInboundPeers = -1 }, "not be negative"},
		{"p2p.max_num_outbound_peers", func(c *Config) { c.P2P.MaxNumOutboundPeers = -1 }, "not be negative"},
		{"p2p.handshake_timeout", func(c *Config) { c.P2P.HandshakeTimeout = 0 }, "greater than zero"},
		{"p2p.dial_timeout", func(c *Config) { c.P2P.DialTimeout = -time.Second }, "greater than zero"},
		{"p2p.max_packet_msg_payload_size", func(c *Config) { c.P2P.MaxPacketMsgPayloadSize = 0 }, "greater than zero"},
		{"p2p.persistent_peers_max_dial_period", func(c *Config) { c.P2P.PersistentPeersMaxDialPeriod = 100 * time.Millisecond }, "at least 500ms"},
		{"p2p.persistent_peers_max_dial_period", func(c *Config) { c.P2P.PersistentPeersMaxDialPeriod = -time.Second }, "at least 500ms"},
		{"mempool.size", func(c *Config) { c.Mempool.Size = 0 }, "greater than zero"},
		{"mempool.max_txs_bytes", func(c *Config) { c.Mempool.MaxTxsBytes = 0 }, "greater than zero"},
		{"mempool.max_tx_bytes", func(c *Config) { c.Mempool.MaxTxBytes = 0 }, "greater than zero"},
		{"mempool.max_tx_bytes", func(c *Config) { c.Mempool.MaxTxsBytes = 10 }, "must not exceed [mempool] max_txs_bytes"},
		{"mempool.cache_size", func(c *Config) { c.Mempool.CacheSize = -1 }, "not be negative"},
		{"consensus.protocol", func(c *Config) { c.Consensus.Protocol = "raft" }, `"tendermint" or "pbft"`},
		{"consensus.switch_height", func(c *Config) { c.Consensus.SwitchHeight = -1 }, "not be negative"},
		{"consensus.switch_height", func(c *Config) { c.Consensus.SwitchHeight, c.Consensus.SwitchProtocol = 1, ProtocolPBFT }, "at least 2"},
		{"consensus.switch_protocol", func(c *Config) { c.Consensus.SwitchProtocol = ProtocolPBFT }, "switch_height is 0"},
		{"consensus.switch_protocol", func(c *Config) { c.Consensus.SwitchHeight = 10 }, "is required with [consensus] switch_height = 10"},
		{"consensus.switch_protocol", func(c *Config) {
			c.Consensus.SwitchHeight, c.Consensus.SwitchProtocol = 10, ProtocolTendermint
		}, `must differ from [consensus] protocol "tendermint"`},
		{"consensus.switch_protocol", func(c *Config) { c.Consensus.SwitchHeight, c.Consensus.SwitchProtocol = 10, "raft" }, `"tendermint" or "pbft"`},
		{"consensus.timeout_propose", func(c *Config) { c.Consensus.TimeoutPropose = 0 }, "greater than zero"},
		{"consensus.timeout_propose_delta", func(c *Config) { c.Consensus.TimeoutProposeDelta = -1 }, "not be negative"},
		{"consensus.timeout_prevote", func(c *Config) { c.Consensus.TimeoutPrevote = 0 }, "greater than zero"},
		{"consensus.timeout_prevote_delta", func(c *Config) { c.Consensus.TimeoutPrevoteDelta = -1 }, "not be negative"},
		{"consensus.timeout_precommit", func(c *Config) { c.Consensus.TimeoutPrecommit = 0 }, "greater than zero"},
		{"consensus.timeout_precommit_delta", func(c *Config) { c.Consensus.TimeoutPrecommitDelta = -1 }, "not be negative"},
		{"consensus.timeout_commit", func(c *Config) { c.Consensus.TimeoutCommit = -1 }, "not be negative"},
		{"consensus.create_empty_blocks_interval", func(c *Config) { c.Consensus.CreateEmptyBlocksInterval = -1 }, "not be negative"},
		{"consensus.checkpoint_interval", func(c *Config) { c.Consensus.CheckpointInterval = 0 }, "greater than zero"},
		{"consensus.checkpoint_interval", func(c *Config) { c.Consensus.CheckpointInterval = 1 << 62 }, "too large"},
		{"consensus.watermark_window", func(c *Config) { c.Consensus.WatermarkWindow = 19 }, "at least 2 * [consensus] checkpoint_interval = 20"},
		{"consensus.view_change_timeout", func(c *Config) { c.Consensus.ViewChangeTimeout = 0 }, "greater than zero"},
		{"consensus.request_timeout", func(c *Config) { c.Consensus.RequestTimeout = -1 }, "not be negative"},
		{"consensus.retransmit_interval", func(c *Config) { c.Consensus.RetransmitInterval = 0 }, "greater than zero"},
		{"tx_index.indexer", func(c *Config) { c.TxIndex.Indexer = "psql" }, `"kv" or "null"`},
		{"instrumentation.prometheus_listen_addr", func(c *Config) {
			c.Instrumentation.Prometheus, c.Instrumentation.PrometheusListenAddr = true, ""
		}, "not host:port"},
		{"instrumentation.prometheus_listen_addr", func(c *Config) { c.Instrumentation.PrometheusListenAddr = "26660" }, "not host:port"},
		{"instrumentation.namespace", func(c *Config) { c.Instrumentation.Namespace = "my-chain" }, "letters, digits and underscores"},
		{"instrumentation.max_open_connections", func(c *Config) { c.Instrumentation.MaxOpenConnections = -1 }, "not be negative"},
		{"statesync.rpc_servers", func(c *Config) { enableStateSync(c); c.StateSync.RPCServers = c.StateSync.RPCServers[:1] }, "at least two RPC servers"},
		{"statesync.rpc_servers", func(c *Config) { enableStateSync(c); c.StateSync.RPCServers[1] = "a b" }, "not an address"},
		{"statesync.trust_height", func(c *Config) { enableStateSync(c); c.StateSync.TrustHeight = 0 }, "trusted height above 0"},
		{"statesync.trust_height", func(c *Config) { c.StateSync.TrustHeight = -1 }, "not be negative"},
		{"statesync.trust_hash", func(c *Config) { enableStateSync(c); c.StateSync.TrustHash = "abc" }, "64 hex digits"},
		{"statesync.trust_period", func(c *Config) { enableStateSync(c); c.StateSync.TrustPeriod = 0 }, "greater than zero"},
		{"statesync.discovery_time", func(c *Config) { enableStateSync(c); c.StateSync.DiscoveryTime = 0 }, "greater than zero"},
		{"statesync.chunk_request_timeout", func(c *Config) { enableStateSync(c); c.StateSync.ChunkRequestTimeout = 0 }, "greater than zero"},
		{"statesync.chunk_fetchers", func(c *Config) { enableStateSync(c); c.StateSync.ChunkFetchers = 0 }, "greater than zero"},
		{"kvstore.snapshot_interval", func(c *Config) { c.KVStore.SnapshotInterval = -1 }, "not be negative"},
		{"kvstore.snapshot_keep_recent", func(c *Config) { c.KVStore.SnapshotKeepRecent = -1 }, "not be negative"},
	}
	tested := map[string]bool{}
	for _, c := range cases {
		cfg := validConfig(t)
		c.mutate(cfg)
		err := cfg.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%s: Validate() = %v, want a FieldError", c.key, err)
			continue
		}
		if fe.Key.Path() != c.key {
			t.Errorf("%s: error names %s: %v", c.key, fe.Key.Path(), err)
		}
		if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 1 {
			t.Errorf("%s: want exactly one problem, got %v", c.key, err)
		}
		if !strings.Contains(err.Error(), fe.Key.String()) || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("%s: error %q lacks the key or %q", c.key, err, c.reason)
		}
		tested[c.key] = true
	}
	// Every key that can hold a bad value has a case above.
	for _, k := range Keys() {
		if k.Kind != KindBool && !tested[k.Path()] {
			t.Errorf("no validation case for %s", k.Path())
		}
	}
}

func TestValidateReportsAllProblems(t *testing.T) {
	cfg := validConfig(t)
	cfg.Consensus.Protocol = "raft"
	cfg.Mempool.Size = -3
	err := cfg.Validate()
	for _, want := range []string{"[consensus] protocol", "[mempool] size"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %s", err, want)
		}
	}
}

func TestParsePeers(t *testing.T) {
	other := strings.Repeat("b", 40)
	peers, err := ParsePeers(" " + peerID + "@10.0.0.1:26656 ,tcp://" + other + "@[::1]:26000,")
	if err != nil {
		t.Fatal(err)
	}
	if len(peers) != 2 || peers[0].ID != peerID || peers[0].Host != "10.0.0.1" || peers[0].Port != 26656 {
		t.Fatalf("peers = %+v", peers)
	}
	if peers[1].Addr() != "[::1]:26000" || peers[1].String() != other+"@[::1]:26000" {
		t.Errorf("ipv6 peer = %s", peers[1])
	}
	if peers, err := ParsePeers(""); err != nil || len(peers) != 0 {
		t.Errorf("empty list: %v %v", peers, err)
	}
}

func TestPathHelpers(t *testing.T) {
	cfg := DefaultConfig().SetRoot("/home/n")
	cfg.NodeKey = "/keys/node.json"
	checks := map[string]string{
		cfg.ConfigFile():             "/home/n/config/config.toml",
		cfg.GenesisFile():            "/home/n/config/genesis.json",
		cfg.PrivValidatorKeyFile():   "/home/n/config/priv_validator_key.json",
		cfg.PrivValidatorStateFile(): "/home/n/data/priv_validator_state.json",
		cfg.DBDir():                  "/home/n/data",
		cfg.NodeKeyFile():            "/keys/node.json",
	}
	for got, want := range checks {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

func TestDefaultHome(t *testing.T) {
	t.Setenv(HomeEnv, "/srv/node")
	if got := DefaultHome(); got != "/srv/node" {
		t.Errorf("with %s set: %s", HomeEnv, got)
	}
	t.Setenv(HomeEnv, "")
	t.Setenv("HOME", "/home/op")
	if got := DefaultHome(); got != "/home/op/.bftnode" {
		t.Errorf("without %s: %s", HomeEnv, got)
	}
}

// request_timeout 0 derives PBFT's request timer from the view-change
// timeout and the block time; a set value is used as it is.
func TestRequestTimerDefaultsFromViewChangeTimeout(t *testing.T) {
	c := DefaultConfig().Consensus
	c.ViewChangeTimeout, c.TimeoutCommit, c.RequestTimeout = 3*time.Second, 5*time.Second, 0
	if got := c.RequestTimer(); got != 11*time.Second {
		t.Fatalf("derived request timer %v, want 2*3s+5s = 11s", got)
	}
	c.RequestTimeout = 7 * time.Second
	if got := c.RequestTimer(); got != 7*time.Second {
		t.Fatalf("set request timer %v, want 7s", got)
	}
}

// enableStateSync fills [statesync] with valid values, state sync on.
func enableStateSync(c *Config) {
	c.StateSync.Enable = true
	c.StateSync.RPCServers = []string{"127.0.0.1:26657", "127.0.0.1:36657"}
	c.StateSync.TrustHeight = 1
	c.StateSync.TrustHash = strings.Repeat("AB", 32)
}

func TestStateSyncEnabledValidates(t *testing.T) {
	cfg := validConfig(t)
	enableStateSync(cfg)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("a complete [statesync] is refused: %v", err)
	}
}
