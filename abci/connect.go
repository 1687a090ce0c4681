package abci

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

	dbm "github.com/cometbft/cometbft-db"
	abcicli "github.com/cometbft/cometbft/abci/client"
	"github.com/cometbft/cometbft/abci/example/kvstore"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	cmtsync "github.com/cometbft/cometbft/libs/sync"
)

// Names of the applications built into the node, usable as proxy_app.
const (
	// AppKVStore is CometBFT's example key-value store, persistent when
	// WithKVStoreDir is given and in memory otherwise, with vote
	// extensions (see extendingKVStore).
	AppKVStore = "kvstore"
	// AppPersistentKVStore is the same store, always persistent: it needs
	// WithKVStoreDir.
	AppPersistentKVStore = "persistent_kvstore"
	// AppNoop accepts everything and keeps no state.
	AppNoop = "noop"
)

// Option adjusts Connect.
type Option func(*options)

type options struct {
	kvstoreDir       string
	snapshotInterval int64
	snapshotKeep     int
}

// WithKVStoreSnapshots has the built-in kvstore take a snapshot every
// interval heights (0: none), keeping the latest keep, for state sync.
func WithKVStoreSnapshots(interval int64, keep int) Option {
	return func(o *options) { o.snapshotInterval, o.snapshotKeep = interval, keep }
}

// WithKVStoreDir keeps the built-in kvstore's database under dir (the node
// uses data/kvstore), so the app's state survives restarts.
func WithKVStoreDir(dir string) Option {
	return func(o *options) { o.kvstoreDir = dir }
}

// The four connections, in CometBFT's order.
var connNames = [4]string{"consensus", "mempool", "query", "snapshot"}

// Connect opens the four application connections. proxyApp is the name of
// a built-in app (kvstore, persistent_kvstore, noop) or the address of an
// app listening on a socket: tcp://host:port, host:port or unix:///path.
// A socket app must answer when Connect runs; ctx bounds the check that it
// speaks ABCI.
func Connect(ctx context.Context, proxyApp string, logger *slog.Logger, opts ...Option) (*Conns, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	switch proxyApp {
	case AppKVStore, AppPersistentKVStore, AppNoop:
		return connectBuiltin(proxyApp, o, logger)
	}
	addr, err := socketAddress(proxyApp)
	if err != nil {
		return nil, err
	}
	return connectSocket(ctx, proxyApp, addr, logger)
}

// socketAddress validates a socket app address and puts it in the form
// CometBFT's client dials.
func socketAddress(proxyApp string) (string, error) {
	scheme, rest, found := strings.Cut(proxyApp, "://")
	if !found {
		scheme, rest = "tcp", proxyApp
	}
	switch {
	case rest == "":
		return "", fmt.Errorf("proxy_app %q has no address; use tcp://host:port, unix:///path "+
			"or a built-in app (%s, %s, %s)", proxyApp, AppKVStore, AppPersistentKVStore, AppNoop)
	case scheme == "unix":
		return "unix://" + rest, nil
	case scheme == "tcp" && strings.Contains(rest, ":"):
		return "tcp://" + rest, nil
	case scheme == "tcp":
		return "", fmt.Errorf("proxy_app %q is neither a built-in app (%s, %s, %s) nor host:port; "+
			"use e.g. tcp://127.0.0.1:26658", proxyApp, AppKVStore, AppPersistentKVStore, AppNoop)
	default:
		return "", fmt.Errorf("proxy_app %q uses unsupported scheme %q; use tcp://host:port or unix:///path",
			proxyApp, scheme)
	}
}

func connectSocket(ctx context.Context, proxyApp, addr string, logger *slog.Logger) (*Conns, error) {
	conns := newConns(proxyApp, logger)
	var clients [4]abcicli.Client
	for i, name := range connNames {
		cl := newSocketClient(addr)
		cl.SetLogger(CometLogger(logger.With("module", "abci-client", "conn", name)))
		if err := cl.Start(); err != nil {
			_ = conns.Close()
			return nil, fmt.Errorf("connect to the application at %s (%s connection): %w; "+
				"is the app running and listening there? start one with `abci-cli kvstore --address %s`, "+
				"or set proxy_app = %q to use the built-in app", proxyApp, name, err, proxyApp, AppKVStore)
		}
		conns.clients = append(conns.clients, cl)
		clients[i] = cl
		go conns.watch(name, cl)
	}
	conns.wire(clients)
	if _, err := conns.Query.Echo(ctx, "bftnode"); err != nil {
		_ = conns.Close()
		return nil, fmt.Errorf("the application at %s accepted the connection but did not answer "+
			"an ABCI echo: %w; is it the app's ABCI address (default port 26658) and not another service?",
			proxyApp, err)
	}
	return conns, nil
}

func connectBuiltin(name string, o options, logger *slog.Logger) (*Conns, error) {
	app, closeApp, err := builtinApp(name, o)
	if err != nil {
		return nil, err
	}
	return connectLocal(name, app, closeApp, logger)
}

// connectLocal serves the four connections from an app in this process.
func connectLocal(name string, app abcitypes.Application, closeApp func() error, logger *slog.Logger) (*Conns, error) {
	conns := newConns(name, logger)
	if closeApp != nil {
		conns.closers = append(conns.closers, closeApp)
	}
	// One mutex over all four connections, as CometBFT does for local apps:
	// the example apps are not safe for concurrent calls.
	mtx := new(cmtsync.Mutex)
	var clients [4]abcicli.Client
	for i := range connNames {
		cl := abcicli.NewLocalClient(mtx, app)
		// The local client calls its response callback on every CheckTx
		// and has none by default.
		cl.SetResponseCallback(func(*abcitypes.Request, *abcitypes.Response) {})
		if err := cl.Start(); err != nil {
			_ = conns.Close()
			return nil, fmt.Errorf("start the built-in %s app: %w", name, err)
		}
		conns.clients = append(conns.clients, cl)
		clients[i] = cl
	}
	conns.wire(clients)
	return conns, nil
}

// builtinApp builds a built-in app and says how to release it.
func builtinApp(name string, o options) (abcitypes.Application, func() error, error) {
	switch {
	case name == AppNoop:
		return abcitypes.NewBaseApplication(), nil, nil
	case name == AppPersistentKVStore && o.kvstoreDir == "":
		return nil, nil, errors.New("the built-in persistent_kvstore needs a directory for its " +
			"database; pass WithKVStoreDir (the node uses data/kvstore)")
	}
	return NewKVStore(o.kvstoreDir, o.snapshotInterval, o.snapshotKeep)
}

// NewKVStore builds the built-in kvstore: CometBFT's example kvstore with
// vote extensions and snapshots every snapshotInterval heights (0: none,
// though it still restores one), persisting under dir, or in memory when
// dir is "". The function it returns closes the database.
func NewKVStore(dir string, snapshotInterval int64, keep int) (abcitypes.Application, func() error, error) {
	var db dbm.DB = dbm.NewMemDB()
	snapDir := ""
	if dir != "" {
		var err error
		if db, err = dbm.NewGoLevelDB("kvstore", dir); err != nil {
			return nil, nil, fmt.Errorf("open the built-in kvstore's database under %s: %w; "+
				"check the directory exists and is writable, and that no other node uses it", dir, err)
		}
		snapDir = filepath.Join(dir, "snapshots")
	}
	snaps, err := openKVSnapshots(snapDir, snapshotInterval, keep)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	app := &snapshottingKVStore{extendingKVStore: newExtendingKVStore(kvstore.NewApplication(db)), db: db, snaps: snaps}
	closeApp := func() error {
		if err := db.Close(); err != nil {
			return fmt.Errorf("close the built-in kvstore's database under %s: %w", dir, err)
		}
		return nil
	}
	return app, closeApp, nil
}

// wire builds the typed connections over the started clients.
func (c *Conns) wire(clients [4]abcicli.Client) {
	c.Consensus = &ConsensusConn{appConn{name: connNames[0], client: clients[0], conns: c}}
	c.Mempool = newMempoolConn(appConn{name: connNames[1], client: clients[1], conns: c})
	c.Query = &QueryConn{appConn{name: connNames[2], client: clients[2], conns: c}}
	c.Snapshot = &SnapshotConn{appConn{name: connNames[3], client: clients[3], conns: c}}
}
