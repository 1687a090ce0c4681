package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

// abciCLIVersion is the CometBFT release whose abci-cli serves as the
// external application in tests.
const abciCLIVersion = "v0.38.26"

var (
	buildMu sync.Mutex
	builds  = map[string]*build{}

	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// build is one binary built once per test process.
type build struct {
	once sync.Once
	path string
	err  error
}

// moduleRoot finds the directory holding go.mod above this source file.
func moduleRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the e2e package source")
	}
	return filepath.Dir(filepath.Dir(file)), nil
}

// cacheDir is where built tools are kept between test runs of one machine.
func cacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "bftnode-e2e")
	return dir, os.MkdirAll(dir, 0o755)
}

// Binary builds cmd/bftnode once per test process and returns its path.
func Binary() (string, error) { return BinaryTags() }

// BinaryTags builds cmd/bftnode with the given build tags once per test
// process and returns its path.
func BinaryTags(tags ...string) (string, error) {
	return buildOnce("./cmd/bftnode", "bftnode", tags)
}

// CASApp builds the register application of internal/casapp.
func CASApp() (string, error) {
	return buildOnce("./internal/casapp/cmd/casapp", "casapp", nil)
}

func buildOnce(pkg, name string, tags []string) (string, error) {
	key := pkg + " " + strings.Join(tags, ",")
	buildMu.Lock()
	b := builds[key]
	if b == nil {
		b = &build{}
		builds[key] = b
	}
	buildMu.Unlock()
	b.once.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			b.err = err
			return
		}
		dir, err := os.MkdirTemp("", "bftnode-bin-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, name)
		args := []string{"build", "-o", b.path}
		if len(tags) > 0 {
			args = append(args, "-tags", strings.Join(tags, ","))
		}
		cmd := exec.Command("go", append(args, pkg)...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go %s: %v\n%s", strings.Join(append(args, pkg), " "), err, out)
		}
	})
	return b.path, b.err
}

// AppBuiltin is the built-in kvstore served by `bftnode app` in a process
// of its own (its AppArgs may add --commit-delay).
const AppBuiltin = "bftnode-app"

// appBinary returns the external application's binary for Options.App.
func appBinary(app string) (string, error) {
	switch app {
	case "", "kvstore":
		return ABCICLI()
	case "casapp":
		return CASApp()
	case AppCometE2E:
		return CometE2EApp()
	case "gaiad":
		return GaiaD()
	case AppBuiltin:
		return Binary()
	}
	return "", fmt.Errorf("unknown external app %q: use kvstore, casapp, %s, %s or gaiad", app, AppCometE2E, AppBuiltin)
}

// appArgs is the command line serving the app on addr.
func appArgs(app, addr string) []string {
	switch app {
	case "casapp":
		return []string{"--address", "tcp://" + addr}
	case AppBuiltin:
		return []string{"app", "--address", "tcp://" + addr}
	case "gaiad":
		// The app alone, serving ABCI on a socket, without the REST API.
		// Its home, gRPC address and node RPC come with the node's
		// AppArgs (gaiad serves transaction simulation only with gRPC on).
		return []string{"start", "--with-comet=false", "--transport=socket", "--address", "tcp://" + addr,
			"--api.enable=false", "--minimum-gas-prices", "0" + gaiaDenom}
	}
	return []string{"kvstore", "--address", "tcp://" + addr}
}

// ABCICLI installs CometBFT's abci-cli from the module proxy (once per
// machine, cached) and returns its path.
func ABCICLI() (string, error) {
	cliOnce.Do(func() {
		dir, err := cacheDir()
		if err != nil {
			cliErr = err
			return
		}
		bin := filepath.Join(dir, "abci-cli-"+abciCLIVersion)
		cliPath = filepath.Join(bin, "abci-cli")
		if _, err := os.Stat(cliPath); err == nil {
			return
		}
		cmd := exec.Command("go", "install", "github.com/cometbft/cometbft/abci/cmd/abci-cli@"+abciCLIVersion)
		cmd.Env = append(os.Environ(), "GOBIN="+bin)
		if out, err := cmd.CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("installing abci-cli %s: %v\n%s", abciCLIVersion, err, out)
		}
	})
	return cliPath, cliErr
}
