// Package failpoint holds named crash points for the fault suite.
//
// Code calls Hit(name) where a crash is worth testing: around each write
// of the write-ahead log and at each step of executing a block. In a
// normal build Hit does nothing and costs nothing. A binary built with the
// `failpoint` build tag reads BFTNODE_FAILPOINT=name or name@n at start and,
// the n-th time (default the first) Hit(name) runs, kills its own process
// with SIGKILL: no deferred code, no buffered write and no fsync happens
// after the crash point, as when the machine loses power or the kernel
// kills the process there.
package failpoint
