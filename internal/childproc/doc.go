// Package childproc runs the child processes of `bftnode localnet` and of
// the benchmark networks: each in a process group of its own (a terminal's
// Ctrl-C reaches only the parent, which then stops its children in order),
// its output in a log file, stopped with SIGTERM and, after a grace period,
// SIGKILL.
package childproc
