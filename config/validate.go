package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/bftnode/bftnode/internal/logging"
)

// FieldError says that a key holds a value it may not, and what is allowed.
type FieldError struct {
	Key    Key
	Value  string // as written in config.toml
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("invalid %s = %s: %s", e.Key, e.Value, e.Reason)
}

// Validate checks every key and returns all problems at once, each a
// *FieldError naming the key, its value and what is allowed.
func (c *Config) Validate() error {
	v := &validator{cfg: c}
	v.base()
	v.rpc()
	v.p2p()
	v.mempool()
	v.consensus()
	v.misc()
	v.stateSync()
	return errors.Join(v.errs...)
}

type validator struct {
	cfg  *Config
	errs []error
}

// fail records that the key at path is invalid. The paths are constants of
// this file; an unknown one is a programming error.
func (v *validator) fail(path, format string, args ...any) {
	k, ok := LookupKey(path)
	if !ok {
		panic("config: validate names unknown key " + path)
	}
	v.errs = append(v.errs, &FieldError{
		Key:    k,
		Value:  formatTOML(k, k.field(v.cfg)),
		Reason: fmt.Sprintf(format, args...),
	})
}

// number is the key's integer or duration value.
func (v *validator) number(path string) int64 {
	k, _ := LookupKey(path)
	return k.field(v.cfg).Int()
}

func (v *validator) positive(paths ...string) {
	for _, p := range paths {
		if v.number(p) <= 0 {
			v.fail(p, "must be greater than zero")
		}
	}
}

func (v *validator) nonNegative(paths ...string) {
	for _, p := range paths {
		if v.number(p) < 0 {
			v.fail(p, "must not be negative")
		}
	}
}

func (v *validator) oneOf(path, value string, allowed ...string) {
	if !slices.Contains(allowed, value) {
		v.fail(path, "must be %s", quotedAlternatives(allowed))
	}
}

func quotedAlternatives(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

func (v *validator) base() {
	c := v.cfg
	if reason := asciiText(c.Moniker); reason != "" {
		v.fail("moniker", "%s", reason)
	}
	if reason := checkProxyApp(c.ProxyApp); reason != "" {
		v.fail("proxy_app", "%s", reason)
	}
	v.oneOf("abci", c.ABCI, ABCISocket)
	if _, err := logging.ParseLevel(c.LogLevel); err != nil {
		v.fail("log_level", "%v", err)
	}
	v.oneOf("log_format", c.LogFormat, LogFormatPlain, LogFormatText, LogFormatJSON)
	v.paths()
}

// paths checks the file and directory keys: set, and no two of them the
// same file. db_dir may not hold the home or config directory, because
// unsafe-reset-all empties it.
func (v *validator) paths() {
	c := v.cfg
	files := []struct{ path, value, resolved string }{
		{"genesis_file", c.Genesis, c.GenesisFile()},
		{"priv_validator_key_file", c.PrivValidatorKey, c.PrivValidatorKeyFile()},
		{"priv_validator_state_file", c.PrivValidatorState, c.PrivValidatorStateFile()},
		{"node_key_file", c.NodeKey, c.NodeKeyFile()},
	}
	seen := map[string]string{}
	for _, f := range files {
		if strings.TrimSpace(f.value) == "" {
			v.fail(f.path, "must name a file")
			continue
		}
		abs := absPath(f.resolved)
		if other, dup := seen[abs]; dup {
			v.fail(f.path, "is the same file as %s; each needs its own file", other)
		}
		seen[abs] = f.path
	}
	if strings.TrimSpace(c.DBPath) == "" {
		v.fail("db_dir", "must name a directory")
		return
	}
	db := absPath(c.DBDir())
	for _, protected := range []string{absPath(c.RootDir), absPath(c.ConfigDir())} {
		if isWithin(protected, db) {
			v.fail("db_dir", "must be a directory of its own, not holding the home or config directory (unsafe-reset-all empties it)")
			return
		}
	}
}

func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return filepath.Clean(p)
}

// isWithin reports whether path is dir or inside it.
func isWithin(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

func (v *validator) rpc() {
	c := v.cfg.RPC
	if c.ListenAddress != "" {
		if reason := checkListenURL(c.ListenAddress, true); reason != "" {
			v.fail("rpc.laddr", "%s; or leave it empty to disable the RPC server", reason)
		}
	}
	v.corsLists()
	v.nonNegative("rpc.max_open_connections", "rpc.max_subscription_clients",
		"rpc.max_subscriptions_per_client", "rpc.max_request_batch_size")
	v.positive("rpc.timeout_broadcast_tx_commit", "rpc.max_body_bytes", "rpc.max_header_bytes")
	if c.PprofListenAddress != "" {
		if reason := checkHostPort(c.PprofListenAddress, true, true); reason != "" {
			v.fail("rpc.pprof_laddr", "%s; or leave it empty to disable profiling", reason)
		}
	}
}

var httpMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"}

// headerName is an HTTP token (RFC 9110, section 5.6.2).
var headerName = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

func (v *validator) corsLists() {
	c := v.cfg.RPC
	for _, origin := range c.CORSAllowedOrigins {
		if origin == "" || strings.Count(origin, "*") > 1 || strings.ContainsAny(origin, " \t,") {
			v.fail("rpc.cors_allowed_origins", "origin %q must be \"*\" or an origin like \"https://example.com\" with at most one \"*\" wildcard", origin)
		}
	}
	for _, m := range c.CORSAllowedMethods {
		if !slices.Contains(httpMethods, m) {
			v.fail("rpc.cors_allowed_methods", "%q is not an HTTP method; use %s", m, strings.Join(httpMethods, ", "))
		}
	}
	for _, h := range c.CORSAllowedHeaders {
		if !headerName.MatchString(h) {
			v.fail("rpc.cors_allowed_headers", "%q is not an HTTP header name", h)
		}
	}
}

func (v *validator) p2p() {
	c := v.cfg.P2P
	if reason := checkListenURL(c.ListenAddress, false); reason != "" {
		v.fail("p2p.laddr", "%s", reason)
	}
	if c.ExternalAddress != "" {
		if reason := checkHostPort(strings.TrimPrefix(c.ExternalAddress, "tcp://"), false, false); reason != "" {
			v.fail("p2p.external_address", "%s; or leave it empty to use the listen address", reason)
		}
	}
	if _, err := ParsePeers(c.PersistentPeers); err != nil {
		v.fail("p2p.persistent_peers", "%v", err)
	}
	if _, err := ParsePeers(c.Seeds); err != nil {
		v.fail("p2p.seeds", "%v", err)
	}
	if !c.PEX && c.Seeds != "" {
		v.fail("p2p.seeds", "needs [p2p] pex = true: the node asks the seeds for addresses over peer exchange")
	}
	if !c.PEX && c.SeedMode {
		v.fail("p2p.seed_mode", "needs [p2p] pex = true: a seed hands out the addresses peer exchange collects")
	}
	if c.PEX && c.AddrBook == "" {
		v.fail("p2p.addr_book_file", "is empty; set a path (CometBFT's default is config/addrbook.json)")
	}
	v.nonNegative("p2p.max_num_inbound_peers", "p2p.max_num_outbound_peers")
	v.positive("p2p.handshake_timeout", "p2p.dial_timeout", "p2p.max_packet_msg_payload_size")
	if d := c.PersistentPeersMaxDialPeriod; d != 0 && d < MinRedialPeriod {
		v.fail("p2p.persistent_peers_max_dial_period", "must be 0 or at least %v (the first redial's pause), not %v", MinRedialPeriod, d)
	}
}

func (v *validator) mempool() {
	c := v.cfg.Mempool
	v.positive("mempool.size", "mempool.max_txs_bytes", "mempool.max_tx_bytes")
	v.nonNegative("mempool.cache_size")
	if c.MaxTxBytes > 0 && int64(c.MaxTxBytes) > c.MaxTxsBytes && c.MaxTxsBytes > 0 {
		v.fail("mempool.max_tx_bytes", "must not exceed [mempool] max_txs_bytes (%d): such a transaction could never fit", c.MaxTxsBytes)
	}
}

func (v *validator) consensus() {
	c := v.cfg.Consensus
	v.oneOf("consensus.protocol", c.Protocol, ProtocolTendermint, ProtocolPBFT)
	v.schedule()
	v.positive("consensus.timeout_propose", "consensus.timeout_prevote", "consensus.timeout_precommit")
	v.nonNegative("consensus.timeout_propose_delta", "consensus.timeout_prevote_delta",
		"consensus.timeout_precommit_delta", "consensus.timeout_commit",
		"consensus.create_empty_blocks_interval", "consensus.request_timeout")
	v.positive("consensus.checkpoint_interval", "consensus.view_change_timeout", "consensus.retransmit_interval")
	k := c.CheckpointInterval
	switch {
	case k > math.MaxInt64/2:
		v.fail("consensus.checkpoint_interval", "is too large; at most %d", int64(math.MaxInt64/2))
	case k > 0 && c.WatermarkWindow < 2*k:
		// The window must hold a full checkpoint interval beyond the one
		// becoming stable, or the primary stalls at every checkpoint
		// (Castro-Liskov TOCS, section 4.3).
		v.fail("consensus.watermark_window", "must be at least 2 * [consensus] checkpoint_interval = %d", 2*k)
	}
}

// schedule checks a switch of protocol. That switch_height lies above the
// genesis initial height is checked where the genesis is read.
func (v *validator) schedule() {
	c := v.cfg.Consensus
	switch {
	case c.SwitchHeight < 0:
		v.fail("consensus.switch_height", "must not be negative; 0 means no switch")
	case c.SwitchHeight == 0 && c.SwitchProtocol != "":
		v.fail("consensus.switch_protocol", "is set but [consensus] switch_height is 0; set the height of the switch, or empty switch_protocol")
	case c.SwitchHeight == 1:
		v.fail("consensus.switch_height", "must be at least 2: the first height is decided by [consensus] protocol; to run %q from the start, set protocol instead", c.SwitchProtocol)
	case c.SwitchHeight > 1 && c.SwitchProtocol == "":
		v.fail("consensus.switch_protocol", "is required with [consensus] switch_height = %d: %q or %q", c.SwitchHeight, ProtocolTendermint, ProtocolPBFT)
	case c.SwitchHeight > 1 && c.SwitchProtocol == c.Protocol:
		v.fail("consensus.switch_protocol", "must differ from [consensus] protocol %q: switching to the same protocol changes nothing", c.Protocol)
	case c.SwitchHeight > 1:
		v.oneOf("consensus.switch_protocol", c.SwitchProtocol, ProtocolTendermint, ProtocolPBFT)
	}
}

// prometheusName is a metric name prefix (Prometheus data model).
var prometheusName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

func (v *validator) misc() {
	v.oneOf("tx_index.indexer", v.cfg.TxIndex.Indexer, IndexerKV, IndexerNull)
	c := v.cfg.Instrumentation
	if c.Prometheus || c.PrometheusListenAddr != "" {
		if reason := checkHostPort(c.PrometheusListenAddr, true, true); reason != "" {
			v.fail("instrumentation.prometheus_listen_addr", "%s", reason)
		}
	}
	if !prometheusName.MatchString(c.Namespace) {
		v.fail("instrumentation.namespace", "must be letters, digits and underscores, not starting with a digit")
	}
	v.nonNegative("instrumentation.max_open_connections")
}

// asciiText is why s cannot be a moniker, as CometBFT's node info check.
func asciiText(s string) string {
	if strings.TrimSpace(s) == "" {
		return "must not be empty"
	}
	for _, r := range s {
		if r < 32 || r > 126 {
			return fmt.Sprintf("must be printable ASCII text; %q is not", r)
		}
	}
	return ""
}

// stateSync checks [statesync] when it is enabled, as CometBFT does: the
// light client needs a primary and a witness, and a trusted header.
func (v *validator) stateSync() {
	c := v.cfg.StateSync
	v.nonNegative("statesync.trust_height", "kvstore.snapshot_interval", "kvstore.snapshot_keep_recent")
	if !c.Enable {
		return
	}
	if len(c.RPCServers) < 2 {
		v.fail("statesync.rpc_servers", "state sync needs at least two RPC servers (a primary and a witness the light client cross-checks), comma-separated")
	}
	for _, s := range c.RPCServers {
		if strings.TrimSpace(s) == "" || strings.ContainsAny(s, " \t") {
			v.fail("statesync.rpc_servers", "%q is not an address; write host:port or http://host:port", s)
		}
	}
	if c.TrustHeight <= 0 {
		v.fail("statesync.trust_height", "state sync needs a trusted height above 0 (with its header hash in trust_hash), from a trusted source")
	}
	if b, err := hex.DecodeString(c.TrustHash); err != nil || len(b) != 32 {
		v.fail("statesync.trust_hash", "must be the 64 hex digits of the header hash at trust_height")
	}
	v.positive("statesync.trust_period", "statesync.discovery_time", "statesync.chunk_request_timeout", "statesync.chunk_fetchers")
}
