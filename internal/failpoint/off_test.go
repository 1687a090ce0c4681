//go:build !failpoint

package failpoint

import "testing"

func TestHitDoesNothingInANormalBuild(t *testing.T) {
	t.Setenv(EnvVar, WALAppend)
	if Enabled {
		t.Fatal("a normal build reports crash points")
	}
	Hit(WALAppend) // would kill the test binary if armed
}
