package localnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/bftnode/bftnode/config"
	"github.com/bftnode/bftnode/internal/childproc"
	"github.com/bftnode/bftnode/internal/testnet"
)

// Options describe the network to run.
type Options struct {
	Validators int
	Protocol   string
	// SwitchHeight, when above 0, hands the chain to SwitchProtocol at
	// that height ([consensus] switch_height and switch_protocol).
	SwitchHeight   int64
	SwitchProtocol string
	// Dir holds the homes; it must be empty or absent.
	Dir      string
	BasePort int
	// Rate is the transactions per second sent; 0 sends none.
	Rate int
	// Binary is the bftnode executable the processes run.
	Binary string
	Out    io.Writer
}

// Run starts the network and blocks until ctx ends or a process dies.
func Run(ctx context.Context, o Options) error {
	template := config.DefaultConfig()
	template.Consensus.SwitchHeight, template.Consensus.SwitchProtocol = o.SwitchHeight, o.SwitchProtocol
	nodes, err := testnet.Generate(testnet.Options{
		Validators: o.Validators, OutputDir: o.Dir, NodeDirPrefix: "node",
		BasePort: o.BasePort, Protocol: o.Protocol, PopulatePeers: true,
		ChainID: "localnet", Template: template,
	})
	if err != nil {
		return err
	}
	var procs []*childproc.Process
	defer func() { stopAll(procs) }()
	var rpcs []string
	for i, n := range nodes {
		sock := "unix://" + filepath.Join(n.Dir, "app.sock")
		app, err := childproc.Start(fmt.Sprintf("app%d", i), filepath.Join(n.Dir, "app.log"), o.Binary,
			"app", "--address", sock, "--dir", filepath.Join(n.Dir, "data", "app"))
		if err != nil {
			return err
		}
		procs = append(procs, app)
		if err := waitSocket(ctx, filepath.Join(n.Dir, "app.sock")); err != nil {
			return fmt.Errorf("app%d: %w (see %s)", i, err, app.Log.Name())
		}
		node, err := childproc.Start(fmt.Sprintf("node%d", i), filepath.Join(n.Dir, "node.log"), o.Binary,
			"start", "--home", n.Dir, "--proxy_app", sock)
		if err != nil {
			return err
		}
		procs = append(procs, node)
		rpcs = append(rpcs, "http://127.0.0.1:"+strconv.Itoa(n.Ports.RPC))
	}
	if err := waitReady(ctx, rpcs); err != nil {
		return err
	}
	fmt.Fprintf(o.Out, "bftnode localnet: %d validators, protocol %s, homes in %s\n", len(nodes), o.schedule(), o.Dir)
	for i, u := range rpcs {
		fmt.Fprintf(o.Out, "  node%d  rpc %s   log %s\n", i, u, filepath.Join(nodes[i].Dir, "node.log"))
	}
	fmt.Fprintf(o.Out, "Try: curl -s '%s/status'   curl -s '%s/broadcast_tx_sync?tx=\"name=satoshi\"'\n", rpcs[0], rpcs[0])
	fmt.Fprintln(o.Out, "Press Ctrl-C to stop.")

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	load := newLoad(rpcs, o.Rate)
	go load.run(ctx)
	died := make(chan error, len(procs))
	for _, p := range procs {
		go func(p *childproc.Process) {
			select {
			case <-p.Exited():
				died <- errors.New(p.ExitReport())
			case <-ctx.Done():
			}
		}(p)
	}
	status := newStatus(o.Out, rpcs, o, load)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			status.finish()
			fmt.Fprintln(o.Out, "stopping...")
			return nil
		case err := <-died:
			status.finish()
			return err
		case <-tick.C:
			status.update(ctx)
		}
	}
}

// schedule describes the protocols the network runs.
func (o Options) schedule() string {
	if o.SwitchHeight <= 0 {
		return o.Protocol
	}
	return fmt.Sprintf("%s, switching to %s at height %d", o.Protocol, o.SwitchProtocol, o.SwitchHeight)
}

// stopAll stops nodes before apps.
func stopAll(procs []*childproc.Process) {
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].Stop(10 * time.Second)
	}
}

func waitSocket(ctx context.Context, path string) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return errors.New("the application did not open its socket within 15s")
}

// waitReady waits until every node's RPC answers and the chain has its
// first block.
func waitReady(ctx context.Context, rpcs []string) error {
	deadline := time.Now().Add(60 * time.Second)
	for _, u := range rpcs {
		c, err := rpchttp.New(u, "/websocket")
		if err != nil {
			return err
		}
		for {
			st, err := c.Status(ctx)
			if err == nil && st.SyncInfo.LatestBlockHeight > 0 {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s did not come up within a minute (last error: %v)", u, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}
