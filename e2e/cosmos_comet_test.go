//go:build cosmos

package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bftnode/bftnode/internal/benchnet"
	"github.com/bftnode/bftnode/state"
	"github.com/cometbft/cometbft/p2p"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
)

var (
	cometOnce sync.Once
	cometPath string
	cometErr  error
)

// CometBFTNode installs the cometbft command of the CometBFT release the
// benchmarks compare with into the user cache (once per machine) and
// returns its path.
func CometBFTNode() (string, error) {
	cometOnce.Do(func() {
		dir, err := cacheDir()
		if err != nil {
			cometErr = err
			return
		}
		bin := filepath.Join(dir, "cometbft-"+benchnet.CometBFTVersion)
		cometPath = filepath.Join(bin, "cometbft")
		if _, err := os.Stat(cometPath); err == nil {
			return
		}
		cmd := exec.Command("go", "install", "github.com/cometbft/cometbft/cmd/cometbft@"+benchnet.CometBFTVersion)
		cmd.Env = append(os.Environ(), "GOBIN="+bin)
		if out, err := cmd.CombinedOutput(); err != nil {
			cometErr = fmt.Errorf("installing cometbft %s: %v\n%s", benchnet.CometBFTVersion, err, out)
		}
	})
	return cometPath, cometErr
}

// runCosmosOnCometBFT runs the same chain and checks on CometBFT (the
// release the benchmarks compare with), each node backed by its gaiad over
// a socket as under bftnode: the same genesis (converted to CometBFT's
// format, which CometBFT v0.38 needs), the same validator keys and the
// same timeout_commit. COSMOS_PROTOCOLS=cometbft selects it.
func runCosmosOnCometBFT(t *testing.T, gaiad string) {
	commit, blocks := cosmosSettings(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute+time.Duration(blocks)*4*commit)
	defer cancel()
	cometbft, err := CometBFTNode()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	chain, err := NewGaiaChain(gaiad, dir, "cometbft-gaia", 4)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := state.GenesisDocFromFile(chain.Genesis())
	if err != nil {
		t.Fatal(err)
	}
	base, err := freePortRange(len(chain.Homes) * portsPerNode)
	if err != nil {
		t.Fatal(err)
	}
	addr := func(i, offset int) string { return "127.0.0.1:" + strconv.Itoa(base+portsPerNode*i+offset) }
	const offP2P, offRPC, offApp = 0, 1, 2
	homes := make([]string, len(chain.Homes))
	var peers, rpcs []string
	for i, gaiaHome := range chain.Homes {
		homes[i] = filepath.Join(dir, fmt.Sprintf("cometbft%d", i))
		if out, err := exec.Command(cometbft, "init", "--home", homes[i]).CombinedOutput(); err != nil {
			t.Fatalf("cometbft init: %v\n%s", err, out)
		}
		for _, f := range []string{"priv_validator_key.json", "node_key.json"} {
			b, err := os.ReadFile(filepath.Join(gaiaHome, "config", f))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(homes[i], "config", f), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := doc.SaveAs(filepath.Join(homes[i], "config", "genesis.json")); err != nil {
			t.Fatal(err)
		}
		key, err := p2p.LoadNodeKey(filepath.Join(homes[i], "config", "node_key.json"))
		if err != nil {
			t.Fatal(err)
		}
		peers = append(peers, string(key.ID())+"@"+addr(i, offP2P))
		rpcs = append(rpcs, addr(i, offRPC))
		editConfig(t, filepath.Join(homes[i], "config", "config.toml"), [][2]string{
			{`timeout_commit = "1s"`, `timeout_commit = "` + commit.String() + `"`},
			{`allow_duplicate_ip = false`, `allow_duplicate_ip = true`},
			{`addr_book_strict = true`, `addr_book_strict = false`},
		})
	}
	for i, gaiaHome := range chain.Homes {
		args := append(appArgs("gaiad", addr(i, offApp)), "--home", gaiaHome, "--rpc.laddr", "tcp://"+rpcs[i],
			"--grpc.enable=true", "--grpc.address", addr(i, offsetGRPC))
		startLogged(t, filepath.Join(dir, fmt.Sprintf("gaiad%d.log", i)), gaiad, args...)
		waitListening(t, addr(i, offApp))
	}
	for i, home := range homes {
		others := append(append([]string(nil), peers[:i]...), peers[i+1:]...)
		startLogged(t, filepath.Join(home, "node.log"), cometbft, "start", "--home", home,
			"--proxy_app", "tcp://"+addr(i, offApp), "--rpc.laddr", "tcp://"+rpcs[i],
			"--p2p.laddr", "tcp://"+addr(i, offP2P), "--p2p.persistent_peers", strings.Join(others, ","))
	}
	cl, err := rpchttp.New("http://"+rpcs[0], "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	for rpcHeightOrZero(ctx, cl) < 2 {
		if ctx.Err() != nil {
			t.Fatal("CometBFT did not reach height 2")
		}
		time.Sleep(500 * time.Millisecond)
	}
	checkGaiaChain(ctx, t, chain, cl, "CometBFT "+benchnet.CometBFTVersion, rpcs, commit, blocks)
}

// editConfig replaces settings of a config.toml, each of which must be
// there as written.
func editConfig(t *testing.T, path string, edits [][2]string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for _, kv := range edits {
		if !strings.Contains(text, kv[0]) {
			t.Fatalf("%s has no %s", path, kv[0])
		}
		text = strings.Replace(text, kv[0], kv[1], 1)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startLogged starts a process writing to logPath, killed when the test
// ends; a failed test logs the end of its log.
func startLogged(t *testing.T, logPath, bin string, args ...string) {
	t.Helper()
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("--- %s log tail ---\n%s", filepath.Base(logPath), b)
		}
	})
}

// waitListening waits until something accepts connections on addr.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if conn, err := net.Dial("tcp", addr); err == nil {
			conn.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s after 60s", addr)
}
