//go:build failpoint

package failpoint

import "testing"

func TestHitCrashesAtTheArmedHitOnly(t *testing.T) {
	saved, savedCrash := armed, crash
	defer func() { armed, crash = saved, savedCrash; hits.Store(0) }()
	crashes := 0
	crash = func() { crashes++ }
	armed = Spec{Name: WALAppend, After: 3}
	hits.Store(0)
	for i := 0; i < 5; i++ {
		Hit(ExecFinalized)
		Hit(WALAppend)
		if want := map[bool]int{true: 1, false: 0}[i >= 2]; crashes != want {
			t.Fatalf("after %d hits: %d crashes, want %d", i+1, crashes, want)
		}
	}
}
