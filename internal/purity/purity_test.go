package purity

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The packages that must stay pure, relative to the module root.
var pure = []string{"consensus", "tendermint", "pbft"}

// Standard packages a core may not import directly: they do I/O, reach the
// network, synchronise goroutines or draw unseeded randomness.
var forbiddenImports = map[string]bool{
	"os": true, "os/exec": true, "os/signal": true, "net": true, "net/http": true,
	"sync": true, "sync/atomic": true, "crypto/rand": true, "io/ioutil": true,
	"syscall": true, "unsafe": true, "runtime": true, "log": true, "log/slog": true,
}

// Functions of package time that read or wait on the clock.
var clockCalls = map[string]bool{
	"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
	"AfterFunc": true, "Tick": true, "NewTimer": true, "NewTicker": true,
}

type listedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Imports    []string
	Deps       []string
}

func listPure(t *testing.T) (module string, pkgs []listedPackage) {
	t.Helper()
	out, err := exec.Command("go", "list", "-m").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	module = strings.TrimSpace(string(out))
	args := []string{"list", "-deps=false", "-json"}
	for _, p := range pure {
		args = append(args, module+"/"+p+"/...")
	}
	out, err = exec.Command("go", args...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p listedPackage
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no pure packages")
	}
	return module, pkgs
}

func TestCoresImportNothingImpure(t *testing.T) {
	module, pkgs := listPure(t)
	for _, p := range pkgs {
		for _, imp := range p.Imports {
			if forbiddenImports[imp] {
				t.Errorf("%s imports %s", p.ImportPath, imp)
			}
		}
		for _, dep := range p.Deps {
			if !strings.HasPrefix(dep, module+"/") {
				continue
			}
			rest := strings.TrimPrefix(dep, module+"/")
			if !isPure(rest) {
				t.Errorf("%s depends on %s", p.ImportPath, dep)
			}
		}
		for _, dep := range p.Deps {
			if strings.Contains(dep, "cometbft") || strings.Contains(dep, "gogoproto") {
				t.Errorf("%s depends on %s: the contract stays free of the node's libraries", p.ImportPath, dep)
			}
		}
	}
}

func isPure(rel string) bool {
	for _, p := range pure {
		if rel == p || strings.HasPrefix(rel, p+"/") {
			return true
		}
	}
	return false
}

func TestCoresStartNoGoroutinesAndReadNoClock(t *testing.T) {
	_, pkgs := listPure(t)
	fset := token.NewFileSet()
	for _, p := range pkgs {
		for _, name := range p.GoFiles {
			path := filepath.Join(p.Dir, name)
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			timeName := importName(f, "time")
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.GoStmt:
					t.Errorf("%s: go statement", fset.Position(n.Pos()))
				case *ast.SelectorExpr:
					if id, ok := n.X.(*ast.Ident); ok && timeName != "" && id.Name == timeName && clockCalls[n.Sel.Name] {
						t.Errorf("%s: time.%s reads the clock", fset.Position(n.Pos()), n.Sel.Name)
					}
				}
				return true
			})
		}
	}
}

func importName(f *ast.File, path string) string {
	for _, imp := range f.Imports {
		if strings.Trim(imp.Path.Value, `"`) != path {
			continue
		}
		if imp.Name != nil {
			return imp.Name.Name
		}
		return filepath.Base(path)
	}
	return ""
}
