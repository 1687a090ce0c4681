//go:build failpoint

package failpoint

import (
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
)

// Enabled tells whether this binary was built with crash points.
const Enabled = true

var (
	armed Spec
	hits  atomic.Int64
	// crash ends the process; tests replace it.
	crash = func() { _ = syscall.Kill(os.Getpid(), syscall.SIGKILL) }
)

func init() {
	s, err := Parse(os.Getenv(EnvVar))
	if err != nil {
		// A typo must not silently run a test without its crash.
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	armed = s
}

// Hit kills the process if name is the armed crash point and this is the
// armed hit.
func Hit(name string) {
	if armed.Name == "" || name != armed.Name {
		return
	}
	if n := hits.Add(1); n == armed.After {
		fmt.Fprintf(os.Stderr, "failpoint %s: killing the process at hit %d\n", name, n)
		crash()
	}
}
