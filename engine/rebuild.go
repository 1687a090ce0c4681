package engine

import (
	"fmt"
)

// firstHeight is the first height the node's cores decide: the chain's
// initial height, or for a node that state sync bootstrapped at height h,
// h+1. Such a node starts its core there as a new chain starts at its
// first height: the light-client-verified state of h takes genesis' place
// (PBFT: h is its stable checkpoint and low watermark; Tendermint: it
// starts at h+1, with the stored commit of h as the LastCommit).
func (e *Engine) firstHeight() int64 {
	if e.synced > 0 {
		return e.synced + 1
	}
	return e.state.InitialHeight
}

// rebuildCore builds the core a restart resumes: from the latest snapshot
// and the protocol that wrote it, or at the chain's first height by the
// schedule's first protocol (after state sync, by the protocol of the
// height after the snapshot's). written is the protocol the snapshot names,
// or without a snapshot the one the log began with. It is "" for a log
// older than those names; a snapshot is then taken to be the first
// protocol's, and if that protocol cannot read it, the other one is tried
// so that the refusal can name the protocol the home was written by.
func (e *Engine) rebuildCore(snapshot []byte, written string) error {
	s := e.cfg.Schedule
	genesis, err := e.genesisValidators()
	if err != nil {
		return err
	}
	first := e.firstHeight()
	if snapshot == nil {
		// A node state sync bootstrapped past the switch height starts
		// with the second protocol.
		protocol := s.At(first)
		if written != "" && written != protocol {
			return e.foreignHome(written)
		}
		e.protocol = protocol
		e.core, err = e.cfg.NewCore(protocol, e.self, first, genesis, nil)
		if err != nil {
			return fmt.Errorf("building the %s core: %w", protocol, err)
		}
		return nil
	}
	if written == "" {
		written = e.untaggedSnapshotProtocol(snapshot)
	}
	if written != s.Protocol && written != s.SwitchProtocol {
		return e.foreignHome(written)
	}
	if written != s.Protocol {
		first = max(s.SwitchHeight, first)
	}
	if e.core, err = e.cfg.NewCore(written, e.self, first, genesis, snapshot); err != nil {
		return fmt.Errorf("rebuilding the %s core from its snapshot: %w", written, err)
	}
	e.protocol = written
	if h := e.core.Status().Height; s.At(h) != written {
		return fmt.Errorf("the write-ahead log holds a %s snapshot of height %d, but [consensus] switch_height = %d gives that height to %s: "+
			"the schedule changed after the switch; restore the schedule the chain switched with", written, h, s.SwitchHeight, s.At(h))
	}
	return nil
}

// untaggedSnapshotProtocol names the protocol of a snapshot written before
// snapshots were tagged: the first protocol's unless only the other one
// reads it.
func (e *Engine) untaggedSnapshotProtocol(snapshot []byte) string {
	s := e.cfg.Schedule
	genesis, err := e.genesisValidators()
	if err != nil {
		return s.Protocol
	}
	if _, err := e.cfg.NewCore(s.Protocol, e.self, e.firstHeight(), genesis, snapshot); err == nil {
		return s.Protocol
	}
	for _, other := range e.cfg.Protocols {
		if other == s.Protocol {
			continue
		}
		if _, err := e.cfg.NewCore(other, e.self, e.firstHeight(), genesis, snapshot); err == nil {
			return other
		}
	}
	return s.Protocol // damaged: the first protocol's decoder says how
}

// foreignHome refuses a home whose consensus state another protocol wrote
// while the configuration runs this chain on other protocols only.
func (e *Engine) foreignHome(written string) error {
	s := e.cfg.Schedule
	return fmt.Errorf("this home's consensus state was written by the %s protocol, but the configuration runs %s: "+
		"the home is not damaged. To change the protocol of this chain, keep [consensus] protocol = %q and set "+
		"[consensus] switch_height (a height above the chain's latest, the same on every validator) and switch_protocol; "+
		"or start a new chain from genesis (bftnode unsafe-reset-all)", written, s, written)
}
