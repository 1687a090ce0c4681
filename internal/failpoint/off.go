//go:build !failpoint

package failpoint

// Enabled tells whether this binary was built with crash points.
const Enabled = false

// Hit does nothing: this binary has no crash points.
func Hit(string) {}
