package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// AppCometE2E names CometBFT's own end-to-end test application
// (test/e2e/node of the abci-cli release) as Options.App: a key-value
// store that uses ABCI 2.0 vote extensions from its configured height on
// and panics when a block's local_last_commit lacks them.
const AppCometE2E = "cometbft-e2e"

var (
	cometAppOnce sync.Once
	cometAppPath string
	cometAppErr  error
)

// CometE2EApp installs CometBFT's e2e application from the module proxy
// (once per machine, cached) and returns its path.
func CometE2EApp() (string, error) {
	cometAppOnce.Do(func() {
		dir, err := cacheDir()
		if err != nil {
			cometAppErr = err
			return
		}
		bin := filepath.Join(dir, "cometbft-e2e-"+abciCLIVersion)
		cometAppPath = filepath.Join(bin, "node")
		if _, err := os.Stat(cometAppPath); err == nil {
			return
		}
		cmd := exec.Command("go", "install", "github.com/cometbft/cometbft/test/e2e/node@"+abciCLIVersion)
		cmd.Env = append(os.Environ(), "GOBIN="+bin)
		if out, err := cmd.CombinedOutput(); err != nil {
			cometAppErr = fmt.Errorf("installing CometBFT's e2e app %s: %v\n%s", abciCLIVersion, err, out)
		}
	})
	return cometAppPath, cometAppErr
}

// cometAppConfig writes the e2e application's app.toml for node n, with
// its state in a fresh directory of the node's home, and returns its
// path.
func (c *Cluster) cometAppConfig(n *Node) (string, error) {
	dir, err := os.MkdirTemp(n.Home, "e2eapp-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "app.toml")
	cfg := fmt.Sprintf("chain_id = %q\nlisten = %q\nprotocol = \"socket\"\ndir = %q\npersist_interval = 1\nvote_extensions_enable_height = %d\n",
		c.chainID(), "tcp://"+n.AppAddr, filepath.Join(dir, "state"), c.Opts.VoteExtensionsHeight)
	if c.Opts.SnapshotInterval > 0 {
		cfg += fmt.Sprintf("snapshot_interval = %d\n", c.Opts.SnapshotInterval)
	}
	if n.Index < len(c.Opts.RetainBlocks) && c.Opts.RetainBlocks[n.Index] > 0 {
		cfg += fmt.Sprintf("retain_blocks = %d\n", c.Opts.RetainBlocks[n.Index])
	}
	return path, os.WriteFile(path, []byte(cfg), 0o644)
}

func (c *Cluster) chainID() string { return "e2e-" + c.Opts.Protocol }

// setGenesisParams writes into every node's genesis the consensus params
// the options ask for: the vote extensions' enable height and, for
// CometBFT's e2e app, app version 1, which it reports.
func (c *Cluster) setGenesisParams() error {
	if c.Opts.VoteExtensionsHeight == 0 && c.Opts.App != AppCometE2E {
		return nil
	}
	for _, n := range c.Nodes {
		path := filepath.Join(n.Home, "config", "genesis.json")
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var g map[string]any
		if err := json.Unmarshal(raw, &g); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		params, _ := g["consensus_params"].(map[string]any)
		if params == nil {
			params = map[string]any{}
			g["consensus_params"] = params
		}
		abciParams, _ := params["abci"].(map[string]any)
		if abciParams == nil {
			abciParams = map[string]any{}
			params["abci"] = abciParams
		}
		abciParams["vote_extensions_enable_height"] = fmt.Sprint(c.Opts.VoteExtensionsHeight)
		if c.Opts.App == AppCometE2E {
			version, _ := params["version"].(map[string]any)
			if version == nil {
				version = map[string]any{}
				params["version"] = version
			}
			version["app"] = "1"
		}
		out, err := json.MarshalIndent(g, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, out, 0o644); err != nil {
			return err
		}
	}
	return nil
}
