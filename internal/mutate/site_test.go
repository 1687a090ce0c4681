package mutate

import (
	"strings"
	"testing"
)

const sample = `package p

func (c *Core) decide(a, b int, ok bool) bool {
	if !ok {
		c.locked = a
	}
	if c.ready() {
		return a*3 > b*2 && a != b
	}
	return a <= b || ok
}
`

// Every kind of site is found once where the sample has it, with the
// enclosing function, and applying a site changes exactly its bytes.
func TestFindAndApply(t *testing.T) {
	sites, err := findInFile("p", "p/x.go", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"negation: !ok -> ok":                               false,
		"assignment: c.locked = a -> _ = a":                 false,
		"condition: c.ready() -> !c.ready()":                false,
		"boundary: a*3 > b*2 -> a*3 >= b*2":                 false,
		"constant: a*3 > b*2 -> a*2 > b*2":                  false,
		"constant: a*3 > b*2 -> a*3 > b*3":                  false,
		"logic: a*3 > b*2 && a != b -> a*3 > b*2 || a != b": false,
		"equality: a != b -> a == b":                        false,
		"boundary: a <= b -> a < b":                         false,
		"logic: a <= b || ok -> a <= b && ok":               false,
	}
	for _, s := range sites {
		if s.Func != "(*Core).decide" {
			t.Errorf("%v: function %q", s, s.Func)
		}
		desc := string(s.Kind) + ": " + s.From + " -> " + s.To
		if _, ok := want[desc]; ok {
			want[desc] = true
		}
		out, err := s.Apply([]byte(sample))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), s.To) || string(out) == sample {
			t.Errorf("%v: applied source lacks %q", s, s.To)
		}
	}
	for desc, found := range want {
		if !found {
			t.Errorf("no site %q", desc)
		}
	}
}

// Keys tell apart two identical changes in one function.
func TestKeysAreUnique(t *testing.T) {
	src := "package p\n\nfunc f(a, b int) bool { return a < b || a < b }\n"
	sites, err := findInFile("p", "p/x.go", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, s := range sites {
		if seen[s.Key] {
			t.Fatalf("duplicate key %q", s.Key)
		}
		seen[s.Key] = true
	}
}

func TestSpreadIsAPermutation(t *testing.T) {
	for _, n := range []int{1, 5, 97, 194, 1095} {
		sites := make([]Site, n)
		for i := range sites {
			sites[i].Start = i
		}
		seen := map[int]bool{}
		for _, s := range Spread(sites) {
			seen[s.Start] = true
		}
		if len(seen) != n {
			t.Fatalf("n=%d: %d distinct sites after Spread", n, len(seen))
		}
	}
}

func TestReasonsParse(t *testing.T) {
	if _, err := Reasons(); err != nil {
		t.Fatal(err)
	}
	if _, err := parseReasons("a key without a reason\n"); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("err %v, want one naming line 1", err)
	}
}

// A test-only bug switch is no site, but what it guards is.
func TestBugSwitchesAreNotMutated(t *testing.T) {
	src := "package p\n\nfunc (c *Core) f(a, b int) bool {\n\tif c.bug.x && a < b {\n\t\treturn a == b\n\t}\n\treturn false\n}\n"
	sites, err := findInFile("p", "p/x.go", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(sites) != 1 || sites[0].From != "a == b" {
		t.Fatalf("sites %v: want only the guarded a == b", sites)
	}
}
