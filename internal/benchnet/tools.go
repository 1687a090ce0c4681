package benchnet

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// CometBFTVersion is the CometBFT release measured side by side, and the
// release of the abci-cli kvstore that backs every node.
const CometBFTVersion = "v0.38.26"

// Tools are the executables the networks run.
type Tools struct {
	CometBFT string
	ABCICLI  string
	Bftnode  string
}

// Install puts cometbft and abci-cli of CometBFTVersion into
// cacheDir/cometbft-<version> with `go install` (once; later calls reuse
// them) and returns their paths with bftnode's.
func Install(ctx context.Context, cacheDir, bftnode string, log io.Writer) (Tools, error) {
	if _, err := os.Stat(bftnode); err != nil {
		return Tools{}, fmt.Errorf("the bftnode executable: %w (build it with `make build`)", err)
	}
	bin := filepath.Join(cacheDir, "cometbft-"+CometBFTVersion)
	t := Tools{CometBFT: filepath.Join(bin, "cometbft"), ABCICLI: filepath.Join(bin, "abci-cli"), Bftnode: bftnode}
	pkgs := map[string]string{
		t.CometBFT: "github.com/cometbft/cometbft/cmd/cometbft@" + CometBFTVersion,
		t.ABCICLI:  "github.com/cometbft/cometbft/abci/cmd/abci-cli@" + CometBFTVersion,
	}
	for path, pkg := range pkgs {
		if _, err := os.Stat(path); err == nil {
			continue
		}
		fmt.Fprintf(log, "installing %s into %s\n", pkg, bin)
		cmd := exec.CommandContext(ctx, "go", "install", pkg)
		cmd.Env = append(os.Environ(), "GOBIN="+bin)
		if out, err := cmd.CombinedOutput(); err != nil {
			return Tools{}, fmt.Errorf("go install %s: %w\n%s", pkg, err, out)
		}
	}
	return t, nil
}
