package failpoint

import (
	"fmt"
	"strconv"
	"strings"
)

// EnvVar names the environment variable that arms a crash point.
const EnvVar = "BFTNODE_FAILPOINT"

// The crash points of the node.
const (
	// WALAppend: a record was handed to the log's buffer, nothing flushed.
	WALAppend = "wal/append"
	// WALBeforeFsync: the buffer was written to the file, not fsynced.
	WALBeforeFsync = "wal/before-fsync"
	// WALAfterFsync: the records are durable, the caller not yet told.
	WALAfterFsync = "wal/after-fsync"
	// WALResetTemp: a snapshot's new log is written under its temporary
	// name, not yet renamed into place.
	WALResetTemp = "wal/reset/temp written"
	// WALResetRenamed: the new log is renamed into place, the directory
	// not yet fsynced.
	WALResetRenamed = "wal/reset/renamed"
	// WALResetSynced: the new log is in place and durable, the old one
	// not yet removed.
	WALResetSynced = "wal/reset/directory synced"

	// SignedBeforeLogged: an own message is signed and sent, and not yet
	// logged as an input.
	SignedBeforeLogged = "sign/before-logged"

	// ExecSavedBlock: a decided block and its commit are stored, the
	// application not yet asked to finalize it.
	ExecSavedBlock = "exec/saved-block"
	// ExecFinalized: the application finalized the block; its answer is
	// not stored.
	ExecFinalized = "exec/finalized"
	// ExecSavedState: the FinalizeBlock answer and the new chain state are
	// stored, the application has not committed.
	ExecSavedState = "exec/saved-state"
	// ExecAppCommitted: the application committed, the node has not
	// recorded it; the mempool and the core have not heard of it.
	ExecAppCommitted = "exec/app-committed"
)

// All lists every crash point, in the order a block passes them.
var All = []string{
	WALAppend, WALBeforeFsync, WALAfterFsync, SignedBeforeLogged,
	ExecSavedBlock, ExecFinalized, ExecSavedState, ExecAppCommitted,
	WALResetTemp, WALResetRenamed, WALResetSynced,
}

// The crash points of state sync, which only a node restoring a snapshot
// passes (kept out of All, whose points every running node passes).
const (
	// StateSyncChunkApplied: the app accepted a snapshot chunk; the
	// restore is not complete.
	StateSyncChunkApplied = "statesync/chunk-applied"
	// StateSyncRestored: the app restored the snapshot and its app hash
	// checked out; the node's stores are not written.
	StateSyncRestored = "statesync/restored"
	// StateSyncCommitSaved: the commit of the snapshot's height is
	// stored, the state is not.
	StateSyncCommitSaved = "statesync/commit-saved"
)

// StateSyncPoints lists the crash points of state sync.
var StateSyncPoints = []string{StateSyncChunkApplied, StateSyncRestored, StateSyncCommitSaved}

// Spec is an armed crash point: crash the After-th time Name is hit.
type Spec struct {
	Name  string
	After int64
}

func (s Spec) String() string { return s.Name + "@" + strconv.FormatInt(s.After, 10) }

// Parse reads the value of BFTNODE_FAILPOINT: "" (nothing armed), "name"
// or "name@n" with n ≥ 1. The name must be one of All or StateSyncPoints.
func Parse(v string) (Spec, error) {
	if v == "" {
		return Spec{}, nil
	}
	name, count, hasCount := strings.Cut(v, "@")
	s := Spec{Name: name, After: 1}
	if hasCount {
		n, err := strconv.ParseInt(count, 10, 64)
		if err != nil || n < 1 {
			return Spec{}, fmt.Errorf("%s=%q: the count after @ must be a positive integer", EnvVar, v)
		}
		s.After = n
	}
	known := append(append([]string{}, All...), StateSyncPoints...)
	for _, k := range known {
		if k == name {
			return s, nil
		}
	}
	return Spec{}, fmt.Errorf("%s=%q: unknown crash point %q; known: %s", EnvVar, v, name, strings.Join(known, ", "))
}
