// Package atomicfile writes files so that a crash leaves either the old
// content or the new, never a mix: keys, signer state and configuration
// must not be found half-written.
package atomicfile
