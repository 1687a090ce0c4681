package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
)

// abciCLIVersion is the CometBFT release whose abci-cli serves as the
// external application in tests.
const abciCLIVersion = "v0.38.26"

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error

	cliOnce sync.Once
	cliPath string
	cliErr  error
)

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
func Binary() (string, error) {
	buildOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "bftnode-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "bftnode")
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/bftnode")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/bftnode: %v\n%s", err, out)
		}
	})
	return buildPath, buildErr
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
