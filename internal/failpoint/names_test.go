package failpoint

import "testing"

func TestParse(t *testing.T) {
	for in, want := range map[string]Spec{
		"":                     {},
		ExecFinalized:          {Name: ExecFinalized, After: 1},
		WALAppend + "@250":     {Name: WALAppend, After: 250},
		WALResetRenamed + "@2": {Name: WALResetRenamed, After: 2},
		StateSyncRestored:      {Name: StateSyncRestored, After: 1},
	} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"nope", WALAppend + "@0", WALAppend + "@-1", WALAppend + "@x", "@3"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, n := range append(append([]string{}, All...), StateSyncPoints...) {
		if seen[n] {
			t.Errorf("crash point %q listed twice", n)
		}
		seen[n] = true
	}
}
