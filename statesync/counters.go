package statesync

import "sync/atomic"

// Counters of what state sync dropped or refused, for logs and tests.
type Counters struct {
	// BadMessages counts undecodable or invalid messages (the peer is
	// penalized).
	BadMessages atomic.Int64
	// UnsolicitedChunks counts chunks no request was waiting for.
	UnsolicitedChunks atomic.Int64
	// RejectedChunks counts chunks the app asked to fetch again.
	RejectedChunks atomic.Int64
	// RejectedSnapshots counts snapshots refused by the app, by the light
	// client or by the app hash check after the restore.
	RejectedSnapshots atomic.Int64
	// BannedPeers counts peers dropped as snapshot sources: the app
	// rejected them as senders, or they served a snapshot whose restored
	// app hash differs from the verified header's.
	BannedPeers atomic.Int64
}

// Snapshot copies the counters into a map, for logging.
func (c *Counters) Snapshot() map[string]int64 {
	return map[string]int64{
		"bad_messages": c.BadMessages.Load(), "unsolicited_chunks": c.UnsolicitedChunks.Load(),
		"rejected_chunks": c.RejectedChunks.Load(), "rejected_snapshots": c.RejectedSnapshots.Load(),
		"banned_peers": c.BannedPeers.Load(),
	}
}
