package mutate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// SourceHash names the sources a mutant's result depends on, so that a
// result measured on other sources is run again instead of reused: every
// Go file (tests and embedded files included) of the module's packages
// that the simulator (cmd/bftsim) and the mutated packages' tests build
// from, the families and seeds tried, and the Go version.
func SourceHash(ctx context.Context, root string, pkgs, families []string, seeds int) (string, error) {
	args := []string{"list", "-deps", "-test", "-json=Dir,Module,Standard,GoFiles,CgoFiles,TestGoFiles,XTestGoFiles,EmbedFiles", "./cmd/bftsim"}
	for _, p := range pkgs {
		args = append(args, "./"+p)
	}
	out, err := goCmd(ctx, root, 0, args...)
	if err != nil {
		return "", fmt.Errorf("mutate: go list the sources to hash: %w\n%s", err, out)
	}
	files, err := moduleFiles(out, root)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "go %s\nfamilies %s\nseeds %d\n", runtime.Version(), strings.Join(families, ","), seeds)
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		data, err := os.ReadFile(f)
		if err != nil {
			return "", fmt.Errorf("mutate: hash %s: %w", rel, err)
		}
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// listedPackage is the part of `go list -json` SourceHash reads.
type listedPackage struct {
	Dir                                                      string
	Standard                                                 bool
	Module                                                   *struct{ Dir string }
	GoFiles, CgoFiles, TestGoFiles, XTestGoFiles, EmbedFiles []string
}

// moduleFiles are the files of the listed packages that live in the
// module at root, sorted and without repeats.
func moduleFiles(listing []byte, root string) ([]string, error) {
	seen := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(listing))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("mutate: read go list's output: %w", err)
		}
		if p.Standard || p.Module == nil || filepath.Clean(p.Module.Dir) != filepath.Clean(root) {
			continue
		}
		for _, group := range [][]string{p.GoFiles, p.CgoFiles, p.TestGoFiles, p.XTestGoFiles, p.EmbedFiles} {
			for _, f := range group {
				// A test main is generated into the build cache: not a
				// source.
				if !filepath.IsAbs(f) {
					seen[filepath.Join(p.Dir, f)] = true
				}
			}
		}
	}
	files := make([]string, 0, len(seen))
	for f := range seen {
		files = append(files, f)
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("mutate: go list named no file of the module at %s to hash", root)
	}
	return files, nil
}
