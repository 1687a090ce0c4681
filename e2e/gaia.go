package e2e

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// The Cosmos Hub's application, gaia, as an external app: built from the
// module proxy into the user cache (never into the repository) and driven
// with its own commands.

const (
	// gaiaModule and gaiaVersion name the gaia release the Cosmos test
	// runs (Cosmos SDK v0.53, CometBFT v0.38 ABCI).
	gaiaModule  = "github.com/cosmos/gaia/v25"
	gaiaVersion = "v25.1.1"
	// gaiaSonic is the bytedance/sonic release that builds with Go 1.26;
	// gaia's own pin does not. `go install` refuses gaia's replace
	// directives, so the module's source is copied and built in place.
	gaiaSonic = "github.com/bytedance/sonic@v1.15.5"
	// gaiaDenom is the chain's staking and fee denomination.
	gaiaDenom = "uatom"
)

var (
	gaiaOnce sync.Once
	gaiaPath string
	gaiaErr  error
)

// GaiaD builds gaiad once per machine (cached under the user cache; the
// first build takes many minutes) and returns its path.
func GaiaD() (string, error) {
	gaiaOnce.Do(func() { gaiaPath, gaiaErr = buildGaiaD() })
	return gaiaPath, gaiaErr
}

func buildGaiaD() (string, error) {
	cache, err := cacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "gaia-"+gaiaVersion)
	bin := filepath.Join(dir, "bin", "gaiad")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	out, err := exec.Command("go", "mod", "download", "-json", gaiaModule+"@"+gaiaVersion).Output()
	if err != nil {
		return "", fmt.Errorf("downloading %s@%s from the module proxy: %w", gaiaModule, gaiaVersion, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return "", fmt.Errorf("go mod download %s: no source directory in %q", gaiaModule, out)
	}
	src := filepath.Join(dir, "src")
	if err := os.RemoveAll(src); err != nil {
		return "", err
	}
	if err := copyTree(mod.Dir, src); err != nil {
		return "", fmt.Errorf("copying gaia's source: %w", err)
	}
	for _, args := range [][]string{{"get", gaiaSonic}, {"build", "-o", bin, "./cmd/gaiad"}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = src
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go %s in %s: %w\n%s", strings.Join(args, " "), src, err, out)
		}
	}
	return bin, nil
}

// copyTree copies a read-only module tree into a writable one.
func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		target := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// GaiaChain is a gaia chain made with gaiad's own commands: one gaiad home
// per validator (its consensus key, its app state and the shared genesis)
// and a client home whose test keyring holds every key.
type GaiaChain struct {
	Bin     string
	ChainID string
	Homes   []string          // per validator
	Client  string            // keyring home of the accounts
	Addrs   map[string]string // key name -> account address
}

// gaiaAccounts are the keys besides the validators' own.
var gaiaAccounts = []string{"alice", "bob"}

// NewGaiaChain makes a chain of n validators under dir as a Cosmos user
// would: init, keys add, genesis add-genesis-account, genesis gentx,
// genesis collect-gentxs. gaia's fee market is set to the chain's denom.
func NewGaiaChain(bin, dir, chainID string, n int) (*GaiaChain, error) {
	g := &GaiaChain{Bin: bin, ChainID: chainID, Client: filepath.Join(dir, "client"), Addrs: map[string]string{}}
	for i := 0; i < n; i++ {
		home := filepath.Join(dir, fmt.Sprintf("gaia%d", i))
		g.Homes = append(g.Homes, home)
		if _, err := g.run("init", fmt.Sprintf("val%d", i), "--chain-id", chainID, "--default-denom", gaiaDenom, "--home", home); err != nil {
			return nil, err
		}
	}
	names := append([]string(nil), gaiaAccounts...)
	for i := 0; i < n; i++ {
		names = append(names, fmt.Sprintf("val%d", i))
	}
	for _, name := range names {
		out, err := g.run("keys", "add", name, "--keyring-backend", "test", "--home", g.Client, "--output", "json")
		if err != nil {
			return nil, err
		}
		var key struct{ Address string }
		if err := json.Unmarshal(lastJSONLine(out), &key); err != nil || key.Address == "" {
			return nil, fmt.Errorf("gaiad keys add %s: no address in %q", name, out)
		}
		g.Addrs[name] = key.Address
		if _, err := g.run("genesis", "add-genesis-account", key.Address, "1000000000000"+gaiaDenom, "--home", g.Homes[0]); err != nil {
			return nil, err
		}
	}
	if err := g.setFeeDenom(); err != nil {
		return nil, err
	}
	gentxs := filepath.Join(g.Homes[0], "config", "gentx")
	if err := os.MkdirAll(gentxs, 0o755); err != nil {
		return nil, err
	}
	for i, home := range g.Homes {
		if i > 0 {
			if err := g.copyGenesis(home); err != nil {
				return nil, err
			}
		}
		doc := filepath.Join(gentxs, fmt.Sprintf("gentx-val%d.json", i))
		if _, err := g.run("genesis", "gentx", fmt.Sprintf("val%d", i), "100000000"+gaiaDenom, "--chain-id", chainID,
			"--home", home, "--keyring-dir", g.Client, "--keyring-backend", "test", "--output-document", doc); err != nil {
			return nil, err
		}
	}
	if _, err := g.run("genesis", "collect-gentxs", "--home", g.Homes[0]); err != nil {
		return nil, err
	}
	if _, err := g.run("genesis", "validate", "--home", g.Homes[0]); err != nil {
		return nil, err
	}
	for _, home := range g.Homes[1:] {
		if err := g.copyGenesis(home); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// Genesis is the chain's genesis.json, in the SDK's own format.
func (g *GaiaChain) Genesis() string { return filepath.Join(g.Homes[0], "config", "genesis.json") }

func (g *GaiaChain) copyGenesis(home string) error {
	b, err := os.ReadFile(g.Genesis())
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(home, "config", "genesis.json"), b, 0o644)
}

// setFeeDenom points gaia's fee market (x/feemarket) at the chain's denom;
// its default is another denom, and fees in it could not be paid.
func (g *GaiaChain) setFeeDenom() error {
	b, err := os.ReadFile(g.Genesis())
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("gaia genesis: %w", err)
	}
	state, _ := doc["app_state"].(map[string]any)
	fm, _ := state["feemarket"].(map[string]any)
	params, _ := fm["params"].(map[string]any)
	if params == nil {
		return fmt.Errorf("gaia genesis has no app_state.feemarket.params; is this gaia %s?", gaiaVersion)
	}
	params["fee_denom"] = gaiaDenom
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(g.Genesis(), out, 0o644)
}

// run runs gaiad with args and returns its standard output.
func (g *GaiaChain) run(args ...string) ([]byte, error) { return g.runInput("", args...) }

// runInput is run with input on gaiad's standard input (answers to its
// prompts).
func (g *GaiaChain) runInput(input string, args ...string) ([]byte, error) {
	cmd := exec.Command(g.Bin, args...)
	cmd.Stdin = strings.NewReader(input)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("gaiad %s: %w\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return out, nil
}

// lastJSONLine is the last line of out that looks like a JSON object
// (gaiad prints notices before its JSON on some commands).
func lastJSONLine(out []byte) []byte {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); strings.HasPrefix(l, "{") {
			return []byte(l)
		}
	}
	return out
}
