package config

import (
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// The home directory layout, as CometBFT's.
const (
	// DefaultHomeDirName is the home directory under the user's home when
	// neither --home nor BFTNODE_HOME says otherwise.
	DefaultHomeDirName = ".bftnode"
	// ConfigDirName holds config.toml, genesis.json and the keys.
	ConfigDirName = "config"
	// DataDirName holds the databases and the signer state.
	DataDirName = "data"
	// ConfigFileName is the name of the configuration file in ConfigDirName.
	ConfigFileName = "config.toml"
)

// The values of the keys that take one of a fixed set.
const (
	ProtocolTendermint = "tendermint"
	ProtocolPBFT       = "pbft"

	LogFormatPlain = "plain"
	LogFormatText  = "text"
	LogFormatJSON  = "json"

	ABCISocket = "socket"

	IndexerKV   = "kv"
	IndexerNull = "null"
)

// BuiltinApps are the proxy_app names served inside the node's own process.
var BuiltinApps = []string{"kvstore", "persistent_kvstore", "noop"}

// Config is the whole configuration of a node. Each field tagged `toml` is a
// key of config.toml; `doc` is its one-line comment in the written file and
// its flag's usage text. Struct fields of Config are the [sections]; the
// embedded BaseConfig holds the keys written before any section.
type Config struct {
	// RootDir is the node's home directory. It is not a key: it comes from
	// --home or BFTNODE_HOME, and relative paths in the file are under it.
	RootDir string `toml:"-"`

	// Ignored lists the CometBFT v0.38 settings the file held that
	// bftnode does not implement; the node warns once about each.
	Ignored []IgnoredSetting `toml:"-"`

	BaseConfig `toml:""`

	RPC             RPCConfig             `toml:"rpc" doc:"JSON-RPC server (CometBFT v0.38 routes over HTTP and websocket)"`
	P2P             P2PConfig             `toml:"p2p" doc:"Peer-to-peer connections between nodes"`
	Mempool         MempoolConfig         `toml:"mempool" doc:"Transactions waiting for a block"`
	Consensus       ConsensusConfig       `toml:"consensus" doc:"The consensus protocol and its timing"`
	Storage         StorageConfig         `toml:"storage" doc:"What the node keeps on disk"`
	TxIndex         TxIndexConfig         `toml:"tx_index" doc:"Transaction indexing for the tx and tx_search routes"`
	Instrumentation InstrumentationConfig `toml:"instrumentation" doc:"Prometheus metrics"`
	StateSync       StateSyncConfig       `toml:"statesync" doc:"State sync: a new node restores a snapshot of the app from its peers instead of executing every block"`
	KVStore         KVStoreConfig         `toml:"kvstore" doc:"The built-in kvstore app (proxy_app = kvstore or persistent_kvstore)"`
}

// BaseConfig holds the keys at the top of config.toml.
type BaseConfig struct {
	Moniker            string `toml:"moniker" doc:"A name for this node, shown to peers and in /status"`
	ProxyApp           string `toml:"proxy_app" doc:"The ABCI app: tcp://host:port, unix:///path, or a built-in app (kvstore, persistent_kvstore, noop)"`
	ABCI               string `toml:"abci" doc:"Transport to the ABCI app; only \"socket\" is supported"`
	DBPath             string `toml:"db_dir" doc:"Directory of the databases, relative to the home directory unless absolute"`
	LogLevel           string `toml:"log_level" doc:"Log level: debug, info, warn, error or none; CometBFT's module:level,*:level form is accepted and its * level used"`
	LogFormat          string `toml:"log_format" doc:"Log output format: plain (same as text) or json"`
	Genesis            string `toml:"genesis_file" doc:"Path to the genesis file, relative to the home directory unless absolute"`
	PrivValidatorKey   string `toml:"priv_validator_key_file" doc:"Path to the validator's private key (CometBFT privval JSON)"`
	PrivValidatorState string `toml:"priv_validator_state_file" doc:"Path to the validator's last-signed state, which guards against double signing"`
	NodeKey            string `toml:"node_key_file" doc:"Path to the node key that authenticates this node to its peers"`
}

// RPCConfig is the [rpc] section.
type RPCConfig struct {
	ListenAddress             string        `toml:"laddr" doc:"Listen address of the RPC server: tcp://host:port or unix:///path; empty disables it"`
	CORSAllowedOrigins        []string      `toml:"cors_allowed_origins" doc:"Origins allowed to make cross-origin requests; \"*\" allows all, empty disables CORS"`
	CORSAllowedMethods        []string      `toml:"cors_allowed_methods" doc:"HTTP methods allowed in cross-origin requests"`
	CORSAllowedHeaders        []string      `toml:"cors_allowed_headers" doc:"Request headers allowed in cross-origin requests"`
	Unsafe                    bool          `toml:"unsafe" doc:"Serve the unsafe routes (dial_seeds, dial_peers, unsafe_flush_mempool)"`
	MaxOpenConnections        int           `toml:"max_open_connections" doc:"Most simultaneous HTTP and websocket connections; 0 means no limit"`
	MaxSubscriptionClients    int           `toml:"max_subscription_clients" doc:"Most clients with event subscriptions at once"`
	MaxSubscriptionsPerClient int           `toml:"max_subscriptions_per_client" doc:"Most event subscriptions of one client"`
	TimeoutBroadcastTxCommit  time.Duration `toml:"timeout_broadcast_tx_commit" doc:"How long broadcast_tx_commit waits for the transaction to be in a block"`
	MaxRequestBatchSize       int           `toml:"max_request_batch_size" doc:"Most requests in one JSON-RPC batch; 0 means no limit"`
	MaxBodyBytes              int64         `toml:"max_body_bytes" doc:"Largest request body in bytes"`
	MaxHeaderBytes            int           `toml:"max_header_bytes" doc:"Largest request header in bytes"`
	PprofListenAddress        string        `toml:"pprof_laddr" doc:"Listen address (host:port) of the Go profiler; empty disables it"`
}

// MinRedialPeriod is the pause before the first redial of a persistent
// peer.
const MinRedialPeriod = 500 * time.Millisecond

// P2PConfig is the [p2p] section.
type P2PConfig struct {
	ListenAddress       string        `toml:"laddr" doc:"Listen address for connections from peers: tcp://host:port"`
	ExternalAddress     string        `toml:"external_address" doc:"Address (host:port) peers should dial to reach this node; empty means the listen address"`
	PersistentPeers     string        `toml:"persistent_peers" doc:"Comma-separated peers to stay connected to, each id@host:port"`
	Seeds               string        `toml:"seeds" doc:"Comma-separated seed nodes (id@host:port) asked for peer addresses when the node has no other peer; needs pex"`
	PEX                 bool          `toml:"pex" doc:"Peer exchange: keep an address book, swap addresses with peers and dial peers from the book up to max_num_outbound_peers"`
	SeedMode            bool          `toml:"seed_mode" doc:"Run as a seed: answer address requests and hang up, crawl the addresses the book holds; needs pex"`
	AddrBook            string        `toml:"addr_book_file" doc:"The address book, relative to the home directory unless absolute"`
	AddrBookStrict      bool          `toml:"addr_book_strict" doc:"Keep only addresses routable across the internet; set false for private networks and nodes on one machine"`
	MaxNumInboundPeers  int           `toml:"max_num_inbound_peers" doc:"Most peers that dialed this node"`
	MaxNumOutboundPeers int           `toml:"max_num_outbound_peers" doc:"Most peers this node dialed (persistent peers are always dialed)"`
	HandshakeTimeout    time.Duration `toml:"handshake_timeout" doc:"How long the authenticated-encryption handshake with a peer may take"`
	DialTimeout         time.Duration `toml:"dial_timeout" doc:"How long dialing a peer may take"`
	// The longest pause between redials of a persistent peer. Redials
	// back off exponentially from 500ms; without a short cap, a peer cut
	// off for half a minute would be dialed again only tens of seconds
	// after the link came back, and consensus would wait for it.
	PersistentPeersMaxDialPeriod time.Duration `toml:"persistent_peers_max_dial_period" doc:"Longest pause between attempts to redial a persistent peer (attempts back off exponentially from 500ms up to it); 0 means up to 1m"`
	MaxPacketMsgPayloadSize      int           `toml:"max_packet_msg_payload_size" doc:"Largest payload of one packet on a peer connection, in bytes"`
}

// MempoolConfig is the [mempool] section.
type MempoolConfig struct {
	Recheck     bool  `toml:"recheck" doc:"Check the remaining transactions again after every block"`
	Size        int   `toml:"size" doc:"Most transactions in the mempool"`
	MaxTxsBytes int64 `toml:"max_txs_bytes" doc:"Most bytes of all transactions in the mempool together"`
	MaxTxBytes  int   `toml:"max_tx_bytes" doc:"Largest single transaction in bytes"`
	CacheSize   int   `toml:"cache_size" doc:"Transactions remembered as seen, so duplicates are dropped; 0 disables the cache"`
}

// ConsensusConfig is the [consensus] section.
type ConsensusConfig struct {
	Protocol string `toml:"protocol" doc:"The consensus protocol: \"tendermint\" or \"pbft\""`
	// SwitchHeight and SwitchProtocol schedule a change of protocol on a
	// live chain: heights below SwitchHeight are decided by Protocol, the
	// rest by SwitchProtocol. Every validator must carry the same schedule.
	SwitchHeight   int64  `toml:"switch_height" doc:"First height decided by switch_protocol instead of protocol; 0: the protocol never changes. Every validator must use the same value"`
	SwitchProtocol string `toml:"switch_protocol" doc:"The protocol that decides heights from switch_height on: \"tendermint\" or \"pbft\"; empty when switch_height is 0"`

	TimeoutPropose            time.Duration `toml:"timeout_propose" doc:"Tendermint: how long to wait for a proposal in round 0"`
	TimeoutProposeDelta       time.Duration `toml:"timeout_propose_delta" doc:"Tendermint: how much timeout_propose grows each round"`
	TimeoutPrevote            time.Duration `toml:"timeout_prevote" doc:"Tendermint: how long to wait after +2/3 prevotes for anything in round 0"`
	TimeoutPrevoteDelta       time.Duration `toml:"timeout_prevote_delta" doc:"Tendermint: how much timeout_prevote grows each round"`
	TimeoutPrecommit          time.Duration `toml:"timeout_precommit" doc:"Tendermint: how long to wait after +2/3 precommits for anything in round 0"`
	TimeoutPrecommitDelta     time.Duration `toml:"timeout_precommit_delta" doc:"Tendermint: how much timeout_precommit grows each round"`
	TimeoutCommit             time.Duration `toml:"timeout_commit" doc:"Both protocols: the next block is proposed no sooner than this after a block is decided, as in CometBFT; the chain's block time (Cosmos chains: 5s)"`
	CreateEmptyBlocks         bool          `toml:"create_empty_blocks" doc:"Make blocks without transactions: after create_empty_blocks_interval, or at once when it is 0"`
	CreateEmptyBlocksInterval time.Duration `toml:"create_empty_blocks_interval" doc:"How long an idle chain waits, after timeout_commit, before an empty block; as in CometBFT it applies even with create_empty_blocks = false"`

	CheckpointInterval int64         `toml:"checkpoint_interval" doc:"PBFT: blocks between checkpoints (K)"`
	WatermarkWindow    int64         `toml:"watermark_window" doc:"PBFT: blocks accepted above the last stable checkpoint (L); at least 2 * checkpoint_interval"`
	ViewChangeTimeout  time.Duration `toml:"view_change_timeout" doc:"PBFT: how long a backup waits for progress before starting a view change; doubles per view"`
	RequestTimeout     time.Duration `toml:"request_timeout" doc:"PBFT: a transaction this node holds that blocks keep leaving out although it would fit makes it ask for a new primary after this long, so a primary cannot censor it; 0: 2 * view_change_timeout + timeout_commit"`

	RetransmitInterval time.Duration `toml:"retransmit_interval" doc:"Both protocols: how often the node resends its latest messages to peers"`
}

// StorageConfig is the [storage] section.
type StorageConfig struct {
	DiscardABCIResponses bool `toml:"discard_abci_responses" doc:"Drop stored FinalizeBlock responses once applied; block_results then fails for past heights"`
}

// TxIndexConfig is the [tx_index] section.
type TxIndexConfig struct {
	Indexer string `toml:"indexer" doc:"Transaction indexer: \"kv\" (stored in db_dir) or \"null\" (no indexing)"`
	Prune   bool   `toml:"prune" doc:"Delete the index entries of the heights the block store has pruned (below the application's Commit retain_height), so the index stops growing with the blocks; false keeps the whole index, as CometBFT v0.38 does"`
}

// StateSyncConfig is the [statesync] section, CometBFT v0.38's keys.
type StateSyncConfig struct {
	Enable              bool          `toml:"enable" doc:"Restore the app from a peer's snapshot when the node has no state yet, then block-sync from there"`
	RPCServers          []string      `toml:"rpc_servers" doc:"At least two RPC servers (host:port or http://host:port) the light client verifies the snapshot's height against"`
	TrustHeight         int64         `toml:"trust_height" doc:"Height of a block the operator trusts, with trust_hash"`
	TrustHash           string        `toml:"trust_hash" doc:"Hash (hex) of the header at trust_height, from a trusted source"`
	TrustPeriod         time.Duration `toml:"trust_period" doc:"How long validators stay trusted; the trusted header must be younger than this"`
	DiscoveryTime       time.Duration `toml:"discovery_time" doc:"How long to ask peers for snapshots before choosing one"`
	ChunkRequestTimeout time.Duration `toml:"chunk_request_timeout" doc:"How long to wait for a chunk before asking another peer"`
	ChunkFetchers       int           `toml:"chunk_fetchers" doc:"How many chunks are fetched at once"`
}

// KVStoreConfig is the [kvstore] section: settings of the built-in app.
type KVStoreConfig struct {
	SnapshotInterval   int64 `toml:"snapshot_interval" doc:"Take a snapshot every this many heights, served to state-syncing peers; 0: none (as CometBFT's e2e app's snapshot_interval)"`
	SnapshotKeepRecent int   `toml:"snapshot_keep_recent" doc:"How many of the latest snapshots to keep"`
}

// InstrumentationConfig is the [instrumentation] section.
type InstrumentationConfig struct {
	Prometheus           bool   `toml:"prometheus" doc:"Serve Prometheus metrics"`
	PrometheusListenAddr string `toml:"prometheus_listen_addr" doc:"Listen address (host:port) of the metrics server"`
	MaxOpenConnections   int    `toml:"max_open_connections" doc:"Most simultaneous connections to the metrics server; 0 means no limit"`
	Namespace            string `toml:"namespace" doc:"Prefix of every metric name"`
}

// DefaultConfig returns CometBFT v0.38's defaults for the keys both share,
// except where bftnode differs on purpose: proxy_app is the built-in
// kvstore so a fresh node runs with nothing else installed, timeout_commit
// is 0 so that a chain that does not mint per block is as fast as its
// network (chains that do, such as Cosmos SDK chains, set their block time
// with it), and an idle chain makes one empty block a second instead of
// hundreds.
func DefaultConfig() *Config {
	return &Config{
		BaseConfig: BaseConfig{
			Moniker:            defaultMoniker(),
			ProxyApp:           "kvstore",
			ABCI:               ABCISocket,
			DBPath:             DataDirName,
			LogLevel:           "info",
			LogFormat:          LogFormatPlain,
			Genesis:            filepath.Join(ConfigDirName, "genesis.json"),
			PrivValidatorKey:   filepath.Join(ConfigDirName, "priv_validator_key.json"),
			PrivValidatorState: filepath.Join(DataDirName, "priv_validator_state.json"),
			NodeKey:            filepath.Join(ConfigDirName, "node_key.json"),
		},
		RPC: RPCConfig{
			ListenAddress:             "tcp://127.0.0.1:26657",
			CORSAllowedOrigins:        []string{},
			CORSAllowedMethods:        []string{http.MethodHead, http.MethodGet, http.MethodPost},
			CORSAllowedHeaders:        []string{"Origin", "Accept", "Content-Type", "X-Requested-With", "X-Server-Time"},
			MaxOpenConnections:        900,
			MaxSubscriptionClients:    100,
			MaxSubscriptionsPerClient: 5,
			TimeoutBroadcastTxCommit:  10 * time.Second,
			MaxRequestBatchSize:       10,
			MaxBodyBytes:              1000000,
			MaxHeaderBytes:            1 << 20,
		},
		P2P: P2PConfig{
			ListenAddress:                "tcp://0.0.0.0:26656",
			PEX:                          true,
			AddrBook:                     "config/addrbook.json",
			AddrBookStrict:               true,
			MaxNumInboundPeers:           40,
			MaxNumOutboundPeers:          10,
			HandshakeTimeout:             20 * time.Second,
			DialTimeout:                  3 * time.Second,
			PersistentPeersMaxDialPeriod: 5 * time.Second,
			MaxPacketMsgPayloadSize:      1024,
		},
		Mempool: MempoolConfig{
			Recheck:     true,
			Size:        5000,
			MaxTxsBytes: 1 << 30,
			MaxTxBytes:  1 << 20,
			CacheSize:   10000,
		},
		Consensus: ConsensusConfig{
			Protocol:                  ProtocolTendermint,
			TimeoutPropose:            3 * time.Second,
			TimeoutProposeDelta:       500 * time.Millisecond,
			TimeoutPrevote:            time.Second,
			TimeoutPrevoteDelta:       500 * time.Millisecond,
			TimeoutPrecommit:          time.Second,
			TimeoutPrecommitDelta:     500 * time.Millisecond,
			TimeoutCommit:             0,
			CreateEmptyBlocks:         true,
			CreateEmptyBlocksInterval: time.Second,
			// K = 10: a view change redoes the protocol for every height
			// above the stable checkpoint (Castro-Liskov TOCS, section
			// 4.4), so K bounds the work a new view starts with; a
			// checkpoint is one small broadcast per validator. L = 2K is
			// the smallest window that lets the primary run ahead while a
			// checkpoint becomes stable (section 4.3). See
			// pbft.DefaultConfig.
			CheckpointInterval: 10,
			WatermarkWindow:    20,
			ViewChangeTimeout:  2 * time.Second,
			RetransmitInterval: time.Second,
		},
		Storage: StorageConfig{DiscardABCIResponses: false},
		TxIndex: TxIndexConfig{Indexer: IndexerKV},
		Instrumentation: InstrumentationConfig{
			Prometheus:           false,
			PrometheusListenAddr: ":26660",
			MaxOpenConnections:   3,
			Namespace:            "cometbft",
		},
		StateSync: StateSyncConfig{
			RPCServers:          []string{},
			TrustPeriod:         168 * time.Hour,
			DiscoveryTime:       15 * time.Second,
			ChunkRequestTimeout: 10 * time.Second,
			ChunkFetchers:       4,
		},
		KVStore: KVStoreConfig{SnapshotKeepRecent: 2},
	}
}

// defaultMoniker is the host name, as CometBFT's, so nodes of a testnet on
// different machines are told apart without configuration.
func defaultMoniker() string {
	name, err := os.Hostname()
	if err != nil || name == "" {
		return "anonymous"
	}
	return name
}

// SetRoot sets the home directory that relative paths are resolved against.
func (c *Config) SetRoot(home string) *Config {
	c.RootDir = home
	return c
}

// ConfigFile is the path of config.toml in the home directory.
func (c *Config) ConfigFile() string {
	return filepath.Join(c.RootDir, ConfigDirName, ConfigFileName)
}

// ConfigDir is the path of the config directory in the home directory.
func (c *Config) ConfigDir() string { return filepath.Join(c.RootDir, ConfigDirName) }

// DBDir is db_dir resolved against the home directory.
func (c *Config) DBDir() string { return c.rootify(c.DBPath) }

// GenesisFile is genesis_file resolved against the home directory.
func (c *Config) GenesisFile() string { return c.rootify(c.Genesis) }

// PrivValidatorKeyFile is priv_validator_key_file resolved against the home
// directory.
func (c *Config) PrivValidatorKeyFile() string { return c.rootify(c.PrivValidatorKey) }

// PrivValidatorStateFile is priv_validator_state_file resolved against the
// home directory.
func (c *Config) PrivValidatorStateFile() string { return c.rootify(c.PrivValidatorState) }

// AddrBookFile is [p2p] addr_book_file resolved against the home directory.
func (c *Config) AddrBookFile() string { return c.rootify(c.P2P.AddrBook) }

// NodeKeyFile is node_key_file resolved against the home directory.
func (c *Config) NodeKeyFile() string { return c.rootify(c.NodeKey) }

func (c *Config) rootify(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(c.RootDir, path)
}

// Clone returns a deep copy of c.
func (c *Config) Clone() *Config {
	out := *c
	out.RPC.CORSAllowedOrigins = append([]string{}, c.RPC.CORSAllowedOrigins...)
	out.RPC.CORSAllowedMethods = append([]string{}, c.RPC.CORSAllowedMethods...)
	out.RPC.CORSAllowedHeaders = append([]string{}, c.RPC.CORSAllowedHeaders...)
	out.StateSync.RPCServers = append([]string{}, c.StateSync.RPCServers...)
	return &out
}

// RequestTimer is PBFT's request timeout: request_timeout, or when it is 0
// twice the view-change timeout plus the block time, so that an honest
// primary always has a whole view-change timeout and one more block to
// include a transaction a backup heard of before it did.
func (c ConsensusConfig) RequestTimer() time.Duration {
	if c.RequestTimeout > 0 {
		return c.RequestTimeout
	}
	return 2*c.ViewChangeTimeout + c.TimeoutCommit
}
