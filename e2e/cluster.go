package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	rpcjsonclient "github.com/cometbft/cometbft/rpc/jsonrpc/client"

	"github.com/bftnode/bftnode/internal/faultproxy"
)

// Ports of node i are laid out from a base port, as `bftnode testnet
// --base-port` lays them out: base + 10*i + offset.
const (
	offsetP2P     = 0
	offsetRPC     = 1
	offsetApp     = 2
	offsetMetrics = 3
	portsPerNode  = 10
)

// Options describe a network to start.
type Options struct {
	Protocol   string // "tendermint" or "pbft"
	Validators int
	FullNodes  int
	// ExternalApp backs every node with its own `abci-cli kvstore` process
	// over TCP; otherwise nodes use the built-in kvstore.
	ExternalApp bool
	// ExtraFlags are passed to every `bftnode start`.
	ExtraFlags []string
	// App chooses the external application: "" or "kvstore" for
	// `abci-cli kvstore`, "casapp" for the register app of
	// internal/casapp, "gaiad" for the Cosmos Hub's app (gaia.go; each
	// node's AppArgs name its home), AppBuiltin for `bftnode app`. Only
	// with ExternalApp.
	App string
	// BuildTags build the node binary with these tags (failpoint,
	// byzantine); nil uses the plain binary.
	BuildTags []string
	// Powers are the validators' voting powers; nil gives 10 each.
	Powers []int64
	// VoteExtensionsHeight is the genesis vote_extensions_enable_height
	// (0: extensions off).
	VoteExtensionsHeight int64
	// RetainBlocks is, per node, CometBFT's e2e app's retain_blocks: its
	// Commit asks the node to keep only that many latest blocks (0 or a
	// missing entry: keep all). Only with App AppCometE2E.
	RetainBlocks []uint64
	// SnapshotInterval is CometBFT's e2e app's snapshot_interval: it takes
	// a state sync snapshot every this many heights (0: none). Only with
	// App AppCometE2E.
	SnapshotInterval uint64
}

// Cluster is a running network of bftnode processes on loopback.
type Cluster struct {
	Dir      string
	BasePort int
	Opts     Options
	Nodes    []*Node
	bin      string
	abciCLI  string
	logf     func(format string, args ...any)
	mesh     *faultproxy.Mesh // with UseProxies

	httpMu sync.Mutex
	http   map[int]*http.Client // per node, so keep-alive connections are reused
}

// Node is one bftnode process and, with ExternalApp, its application.
type Node struct {
	Index   int
	Home    string
	RPCAddr string // host:port
	AppAddr string // host:port
	node    *exec.Cmd
	app     *exec.Cmd
	nodeLog *os.File
	appLog  *os.File
	exited  chan struct{} // closed when the node process has exited
	exitErr error         // how it exited, once exited is closed
	// Env is added to the node process's environment at each Start.
	Env []string
	// AppArgs are added to the app's command line at each StartApp.
	AppArgs []string
}

// NewCluster generates the homes of a network with `bftnode testnet` under
// dir. It starts nothing.
func NewCluster(dir string, opts Options, logf func(string, ...any)) (*Cluster, error) {
	bin, err := BinaryTags(opts.BuildTags...)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, Opts: opts, bin: bin, logf: logf}
	if opts.ExternalApp {
		if c.abciCLI, err = appBinary(opts.App); err != nil {
			return nil, err
		}
	}
	total := opts.Validators + opts.FullNodes
	if c.BasePort, err = freePortRange(total * portsPerNode); err != nil {
		return nil, err
	}
	args := []string{"testnet", "--v", strconv.Itoa(opts.Validators), "--n", strconv.Itoa(opts.FullNodes),
		"--o", dir, "--starting-ip-address", "127.0.0.1", "--base-port", strconv.Itoa(c.BasePort),
		"--protocol", opts.Protocol, "--chain-id", "e2e-" + opts.Protocol}
	for _, p := range opts.Powers {
		args = append(args, "--power", strconv.FormatInt(p, 10))
	}
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("bftnode %v: %v\n%s", args, err, out)
	}
	for i := 0; i < total; i++ {
		c.Nodes = append(c.Nodes, &Node{
			Index:   i,
			Home:    filepath.Join(dir, "node"+strconv.Itoa(i)),
			RPCAddr: "127.0.0.1:" + strconv.Itoa(c.port(i, offsetRPC)),
			AppAddr: "127.0.0.1:" + strconv.Itoa(c.port(i, offsetApp)),
		})
	}
	if err := c.setGenesisParams(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Cluster) port(i, offset int) int { return c.BasePort + portsPerNode*i + offset }

// freePortRange finds n consecutive free TCP ports on 127.0.0.1. Each
// test process starts its search in a band of its own (by process ID), so
// test binaries running side by side rarely race for the same ports
// between this check and the nodes binding them. All bands lie below the
// kernel's ephemeral range (32768 and up), which outgoing connections take
// their local ports from.
var (
	reservedMu sync.Mutex
	reserved   = map[int]bool{}
)

func freePortRange(n int) (int, error) {
	// Clusters of one test process may be made in parallel: a range handed
	// out is never handed out again, though its ports are free until the
	// nodes bind them.
	reservedMu.Lock()
	defer reservedMu.Unlock()
	band := 20000 + (os.Getpid()%100)*120
	for attempt := 0; attempt < 50; attempt++ {
		base := band + rand.IntN(120)
		if attempt >= 10 {
			base = 20000 + rand.IntN(12000-n)
		}
		ok := true
		for p := base; p < base+n && ok; p++ {
			if reserved[p] {
				ok = false
				continue
			}
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		if ok {
			for p := base; p < base+n; p++ {
				reserved[p] = true
			}
			return base, nil
		}
	}
	return 0, fmt.Errorf("no range of %d free ports found on 127.0.0.1", n)
}

// StartAll starts every node (and app).
func (c *Cluster) StartAll() error {
	for i := range c.Nodes {
		if err := c.Start(i); err != nil {
			return err
		}
	}
	return nil
}

// Start starts node i, and its app first when the cluster uses external
// apps and the app is not running.
func (c *Cluster) Start(i int) error {
	n := c.Nodes[i]
	if c.Opts.ExternalApp && n.app == nil {
		if err := c.StartApp(i); err != nil {
			return err
		}
	}
	args := []string{"start", "--home", n.Home}
	if c.Opts.ExternalApp {
		args = append(args, "--proxy_app", "tcp://"+n.AppAddr)
	}
	args = append(args, c.Opts.ExtraFlags...)
	logFile, err := os.OpenFile(filepath.Join(n.Home, "node.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(c.bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Env = append(os.Environ(), n.Env...)
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("starting node %d: %w", i, err)
	}
	n.node, n.nodeLog, n.exited = cmd, logFile, make(chan struct{})
	go func(n *Node, exited chan struct{}) {
		n.exitErr = cmd.Wait()
		close(exited)
	}(n, n.exited)
	c.logf("node %d started (pid %d, rpc %s)", i, cmd.Process.Pid, n.RPCAddr)
	return nil
}

// StartApp starts `abci-cli kvstore` for node i and waits until it accepts
// connections.
func (c *Cluster) StartApp(i int) error {
	n := c.Nodes[i]
	logFile, err := os.OpenFile(filepath.Join(n.Home, "app.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	args := append(appArgs(c.Opts.App, n.AppAddr), n.AppArgs...)
	if c.Opts.App == AppCometE2E {
		path, err := c.cometAppConfig(n)
		if err != nil {
			logFile.Close()
			return err
		}
		args = []string{path}
	} else if c.Opts.App == "" || c.Opts.App == "kvstore" {
		// abci-cli kvstore always stores its state, in a new temporary
		// directory unless told where: a fresh one in the node's home
		// keeps each start a fresh app and leaves nothing behind.
		dir, err := os.MkdirTemp(n.Home, "kvstore-")
		if err != nil {
			logFile.Close()
			return err
		}
		args = append(args, "--persist", dir)
	}
	cmd := exec.Command(c.abciCLI, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("starting the app (%s) for node %d: %w", c.abciCLI, i, err)
	}
	n.app, n.appLog = cmd, logFile
	// gaiad takes seconds to load its modules on a busy machine.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if conn, err := net.Dial("tcp", n.AppAddr); err == nil {
			conn.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the app of node %d did not listen on %s within 60s; see its app.log", i, n.AppAddr)
}

// Kill sends SIGKILL to node i (not its app) and reaps it.
func (c *Cluster) Kill(i int) error { return c.signal(i, syscall.SIGKILL) }

// Stop sends SIGTERM to node i and waits for it to exit.
func (c *Cluster) Stop(i int) error { return c.signal(i, syscall.SIGTERM) }

func (c *Cluster) signal(i int, sig syscall.Signal) error {
	n := c.Nodes[i]
	if n.node == nil {
		return nil
	}
	_ = n.node.Process.Signal(sig)
	select {
	case <-n.exited:
	case <-time.After(30 * time.Second):
		_ = n.node.Process.Kill()
		<-n.exited
	}
	n.nodeLog.Close()
	n.node = nil
	c.logf("node %d stopped with %v", i, sig)
	return nil
}

// Pause stops node i with SIGSTOP; Resume continues it.
func (c *Cluster) Pause(i int) error  { return c.Nodes[i].node.Process.Signal(syscall.SIGSTOP) }
func (c *Cluster) Resume(i int) error { return c.Nodes[i].node.Process.Signal(syscall.SIGCONT) }

// Shutdown stops every node and app.
func (c *Cluster) Shutdown() {
	for i, n := range c.Nodes {
		if n.node != nil {
			_ = c.Stop(i)
		}
		if n.app != nil {
			_ = n.app.Process.Kill()
			_ = n.app.Wait()
			n.appLog.Close()
			n.app = nil
		}
	}
	if c.mesh != nil {
		c.mesh.Close()
	}
}

// Client returns a CometBFT RPC client for node i.
// Clients of one node share an HTTP client: a new one per call would
// leave its idle keep-alive connections open on the node until they time
// out, and polling tests make many calls.
func (c *Cluster) Client(i int) (*rpchttp.HTTP, error) {
	remote := "http://" + c.Nodes[i].RPCAddr
	c.httpMu.Lock()
	hc, ok := c.http[i]
	if !ok {
		var err error
		if hc, err = rpcjsonclient.DefaultHTTPClient(remote); err != nil {
			c.httpMu.Unlock()
			return nil, err
		}
		if c.http == nil {
			c.http = map[int]*http.Client{}
		}
		c.http[i] = hc
	}
	c.httpMu.Unlock()
	return rpchttp.NewWithClient(remote, "/websocket", hc)
}

// WaitHeight waits until node i reports a latest block height of at least
// h. It gives up at once, with the end of the node's log, if the node's
// process exits meanwhile.
func (c *Cluster) WaitHeight(ctx context.Context, i int, h int64) error {
	cl, err := c.Client(i)
	if err != nil {
		return err
	}
	var exited <-chan struct{} // nil (never ready) while the node is not running
	if n := c.Nodes[i]; n.node != nil {
		exited = n.exited
	}
	var last error
	for {
		st, err := cl.Status(ctx)
		if err == nil && st.SyncInfo.LatestBlockHeight >= h {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %d did not reach height %d: %w (last error: %v)", i, h, ctx.Err(), last)
		case <-exited:
			return fmt.Errorf("node %d exited (%v) before it reached height %d; its log ends:\n%s", i, c.Nodes[i].exitErr, h, c.LogTail(i, 3000))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// LogTail returns the last bytes of node i's log, for failure messages.
func (c *Cluster) LogTail(i int, max int64) string {
	b, err := os.ReadFile(filepath.Join(c.Nodes[i].Home, "node.log"))
	if err != nil {
		return err.Error()
	}
	if int64(len(b)) > max {
		b = b[int64(len(b))-max:]
	}
	return string(b)
}

// LogTails is the end of every node's log, for failure messages.
func (c *Cluster) LogTails(max int64) string {
	var b strings.Builder
	for i := range c.Nodes {
		fmt.Fprintf(&b, "--- node %d log tail ---\n%s\n", i, c.LogTail(i, max))
	}
	return b.String()
}

// WaitUntil calls cond every poll interval until it reports done, ctx
// ends or timeout passes. On failure the error names what was awaited,
// cond's last error and the tail of every node's log.
func (c *Cluster) WaitUntil(ctx context.Context, timeout time.Duration, what string, cond func() (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		done, err := cond()
		if done && err == nil {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waited %v for %s: %w (last error: %v)\n%s", timeout, what, ctx.Err(), last, c.LogTails(3000))
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Alive reports an error naming the first node whose process has exited.
func (c *Cluster) Alive() error {
	for i, n := range c.Nodes {
		if n.node == nil {
			continue
		}
		select {
		case <-n.exited:
			return fmt.Errorf("node %d (pid %d) exited: %v", i, n.node.Process.Pid, n.exitErr)
		default:
		}
	}
	return nil
}

// describe summarises what node i reports, for failure messages.
func (c *Cluster) describe(i int) string {
	cl, err := c.Client(i)
	if err != nil {
		return err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := cl.Status(ctx)
	if err != nil {
		return "status: " + err.Error()
	}
	un, err := cl.NumUnconfirmedTxs(ctx)
	if err != nil {
		return "num_unconfirmed_txs: " + err.Error()
	}
	return fmt.Sprintf("height %d, catching up %v, %d txs in the mempool", st.SyncInfo.LatestBlockHeight, st.SyncInfo.CatchingUp, un.Total)
}
