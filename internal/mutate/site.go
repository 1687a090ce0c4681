package mutate

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Kind is what a mutation changes.
type Kind string

// The kinds of mutation.
const (
	// Boundary moves a comparison's boundary: < and <=, > and >=.
	Boundary Kind = "boundary"
	// Equality swaps == and !=.
	Equality Kind = "equality"
	// Logic swaps && and ||.
	Logic Kind = "logic"
	// Negation drops a !.
	Negation Kind = "negation"
	// Condition negates an if condition that is a plain boolean (a
	// variable, field or call), which no other kind reaches.
	Condition Kind = "condition"
	// Constant moves an integer constant of a comparison by one: the
	// factors of the quorum arithmetic (3*p > 2*total) and the bounds.
	Constant Kind = "constant"
	// Assignment drops a write to a field or map entry (a lock, a valid
	// value, a stable checkpoint): the right-hand side is still evaluated.
	Assignment Kind = "assignment"
)

// Site is one mutant: a replacement of the bytes [Start, End) of File.
type Site struct {
	Pkg  string // the package directory, e.g. "tendermint"
	File string // path relative to the module root, e.g. "tendermint/rules.go"
	Line int
	Func string // the enclosing function, e.g. "(*Core).onProposal"
	Kind Kind
	// From and To are the changed expression before and after, one line.
	From, To    string
	Start, End  int
	Replacement string
	Safety      bool
	// Key names the mutant independently of line numbers: file, function,
	// change, and which occurrence of the same change in the function.
	Key string
}

func (s Site) String() string {
	return fmt.Sprintf("%s:%d %s: %s -> %s", s.File, s.Line, s.Kind, s.From, s.To)
}

// Find returns every mutant of the non-test Go files of the package
// directories pkgs (relative to root), in file and position order.
func Find(root string, pkgs []string) ([]Site, error) {
	var all []Site
	for _, pkg := range pkgs {
		files, err := filepath.Glob(filepath.Join(root, pkg, "*.go"))
		if err != nil {
			return nil, err
		}
		sort.Strings(files)
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("mutate: read %s: %w", path, err)
			}
			rel := filepath.ToSlash(filepath.Join(pkg, filepath.Base(path)))
			if skippedFiles[rel] {
				continue
			}
			sites, err := findInFile(pkg, rel, src)
			if err != nil {
				return nil, err
			}
			all = append(all, sites...)
		}
	}
	return all, nil
}

// finder collects the sites of one file.
type finder struct {
	pkg, file string
	fset      *token.FileSet
	src       []byte
	fn        string
	sites     []Site
}

func findInFile(pkg, rel string, src []byte) ([]Site, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, rel, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, fmt.Errorf("mutate: parse %s: %w", rel, err)
	}
	fd := &finder{pkg: pkg, file: rel, fset: fset, src: src}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		fd.fn = funcName(fn)
		ast.Inspect(fn.Body, fd.visit)
	}
	seen := map[string]int{}
	for i := range fd.sites {
		s := &fd.sites[i]
		s.Safety = IsSafety(s.File, s.Func)
		base := fmt.Sprintf("%s %s %s: %s -> %s", s.File, s.Func, s.Kind, s.From, s.To)
		seen[base]++
		s.Key = fmt.Sprintf("%s #%d", base, seen[base])
	}
	return fd.sites, nil
}

// funcName is "(*T).m", "(T).m" or "f".
func funcName(fn *ast.FuncDecl) string {
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return fn.Name.Name
	}
	t := fn.Recv.List[0].Type
	star := ""
	if s, ok := t.(*ast.StarExpr); ok {
		star, t = "*", s.X
	}
	if ix, ok := t.(*ast.IndexExpr); ok {
		t = ix.X
	}
	if ix, ok := t.(*ast.IndexListExpr); ok {
		t = ix.X
	}
	name := "?"
	if id, ok := t.(*ast.Ident); ok {
		name = id.Name
	}
	return fmt.Sprintf("(%s%s).%s", star, name, fn.Name.Name)
}

var swaps = map[token.Token]struct {
	to   token.Token
	kind Kind
}{
	token.LSS:  {token.LEQ, Boundary},
	token.LEQ:  {token.LSS, Boundary},
	token.GTR:  {token.GEQ, Boundary},
	token.GEQ:  {token.GTR, Boundary},
	token.EQL:  {token.NEQ, Equality},
	token.NEQ:  {token.EQL, Equality},
	token.LAND: {token.LOR, Logic},
	token.LOR:  {token.LAND, Logic},
}

func (fd *finder) visit(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.FuncLit:
		return true
	case *ast.BinaryExpr:
		if sw, ok := swaps[n.Op]; ok {
			start := fd.offset(n.OpPos)
			fd.add(n, sw.kind, start, start+len(n.Op.String()), sw.to.String())
		}
		if isComparison(n.Op) {
			fd.constants(n)
		}
	case *ast.UnaryExpr:
		if n.Op == token.NOT {
			start := fd.offset(n.OpPos)
			fd.add(n, Negation, start, start+1, "")
		}
	case *ast.IfStmt:
		if fd.testOnly(n.Cond) {
			// A deliberately broken variant switched on by tests
			// (c.bug.*): mutating its switch tests nothing.
			for _, part := range []ast.Node{n.Init, n.Body, n.Else} {
				if part != nil {
					ast.Inspect(part, fd.visit)
				}
			}
			return false
		}
		if plainBool(n.Cond) {
			start, end := fd.offset(n.Cond.Pos()), fd.offset(n.Cond.End())
			fd.add(n.Cond, Condition, start, end, "!"+string(fd.src[start:end]))
		}
	case *ast.AssignStmt:
		fd.assignment(n)
	}
	return true
}

func isComparison(op token.Token) bool {
	switch op {
	case token.LSS, token.LEQ, token.GTR, token.GEQ, token.EQL, token.NEQ:
		return true
	}
	return false
}

// plainBool reports whether an if condition is a variable, field or call:
// a condition no operator mutation reaches.
func plainBool(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name != "true" && e.Name != "false"
	case *ast.SelectorExpr, *ast.CallExpr:
		return true
	case *ast.ParenExpr:
		return plainBool(e.X)
	}
	return false
}

// constants adds a mutant per small integer literal of a comparison, one
// up and one down (not below zero).
func (fd *finder) constants(cmp *ast.BinaryExpr) {
	ast.Inspect(cmp, func(n ast.Node) bool {
		if _, ok := n.(*ast.CallExpr); ok {
			return false // a call's arguments are not the comparison's arithmetic
		}
		lit, ok := n.(*ast.BasicLit)
		if !ok || lit.Kind != token.INT {
			return true
		}
		v, err := strconv.ParseInt(lit.Value, 0, 64)
		if err != nil || v > 1000 {
			return true
		}
		start, end := fd.offset(lit.Pos()), fd.offset(lit.End())
		if v > 0 {
			fd.addIn(cmp, Constant, start, end, strconv.FormatInt(v-1, 10))
		}
		fd.addIn(cmp, Constant, start, end, strconv.FormatInt(v+1, 10))
		return true
	})
}

// assignment adds a mutant that drops a plain assignment to fields or map
// entries (every left-hand side a selector or index expression).
func (fd *finder) assignment(as *ast.AssignStmt) {
	if as.Tok != token.ASSIGN {
		return
	}
	for _, l := range as.Lhs {
		switch l.(type) {
		case *ast.SelectorExpr, *ast.IndexExpr:
		default:
			return
		}
	}
	start, end := fd.offset(as.Lhs[0].Pos()), fd.offset(as.Lhs[len(as.Lhs)-1].End())
	blanks := strings.TrimSuffix(strings.Repeat("_, ", len(as.Lhs)), ", ")
	fd.addIn(as, Assignment, start, end, blanks)
}

func (fd *finder) offset(p token.Pos) int { return fd.fset.Position(p).Offset }

// add records a mutant of node n replacing [start, end) by repl.
func (fd *finder) add(n ast.Node, kind Kind, start, end int, repl string) {
	fd.addIn(n, kind, start, end, repl)
}

// addIn records a mutant replacing [start, end) by repl, shown as the
// change of the enclosing node n.
func (fd *finder) addIn(n ast.Node, kind Kind, start, end int, repl string) {
	ns, ne := fd.offset(n.Pos()), fd.offset(n.End())
	from := string(fd.src[ns:ne])
	to := from[:start-ns] + repl + from[end-ns:]
	fd.sites = append(fd.sites, Site{
		Pkg: fd.pkg, File: fd.file, Line: fd.fset.Position(n.Pos()).Line, Func: fd.fn, Kind: kind,
		From: oneLine(from), To: oneLine(to), Start: start, End: end, Replacement: repl,
	})
}

// oneLine squeezes whitespace and cuts long expressions.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 90 {
		s = s[:87] + "..."
	}
	return s
}

// Apply returns src with the site's replacement made.
func (s Site) Apply(src []byte) ([]byte, error) {
	if s.End > len(src) || s.Start > s.End {
		return nil, fmt.Errorf("mutate: %s: offsets %d-%d outside the file (%d bytes): the file changed since the sites were found; run again", s.File, s.Start, s.End, len(src))
	}
	out := make([]byte, 0, len(src)+len(s.Replacement))
	out = append(out, src[:s.Start]...)
	out = append(out, s.Replacement...)
	return append(out, src[s.End:]...), nil
}

// Spread orders sites so that every prefix samples them evenly: a run cut
// short by its budget still covers every file. The order is a fixed
// permutation (a stride coprime to the count), the same on every run.
func Spread(sites []Site) []Site {
	n := len(sites)
	stride := 1
	for _, p := range []int{97, 89, 83, 79, 73, 71, 67, 61, 59, 53} {
		if n%p != 0 && p < n {
			stride = p
			break
		}
	}
	out := make([]Site, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, sites[(i*stride)%n])
	}
	return out
}

// testOnly reports whether a condition reads a core's test-only bug
// switches (c.bug.*).
func (fd *finder) testOnly(cond ast.Expr) bool {
	return strings.Contains(string(fd.src[fd.offset(cond.Pos()):fd.offset(cond.End())]), ".bug.")
}
