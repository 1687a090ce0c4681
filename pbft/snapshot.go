package pbft

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"errors"
	"fmt"

	"github.com/bftnode/bftnode/consensus"
)

// A snapshot is snapshotMagic, a version byte, the SHA-256 of the payload
// and the payload: the replica's whole state, gob-encoded from the types
// below (slices in a fixed order, so equal states encode equally). The
// whole state, not just the checkpoint, because the driver replays only the
// inputs logged after the snapshot: what the replica voted for must survive.
const (
	snapshotMagic   = "PBFTSNAP"
	snapshotVersion = 1
	snapshotHeader  = len(snapshotMagic) + 1 + sha256.Size
)

type snapshotV1 struct {
	Sets          []snapSet
	View          int32
	Active        bool
	Doublings     int
	NewView       *consensus.NewView
	NewViewSent   bool
	NVEvident     bool
	OwnViewChange *consensus.ViewChange
	ViewChanges   []consensus.ViewChange
	VCEvident     []evidentMark
	Stable        consensus.StableCheckpoint
	LastExecuted  int64
	LastDecided   int64
	LastAppHash   []byte
	PendingDecide *consensus.Decide
	Decided       []decidedEntry
	Synced        []consensus.Synced
	FetchTo       int64
	FetchMark     int64
	Executed      []hashEntry
	Slots         []snapSlot
	Prepared      []consensus.PreparedCert
	Checkpoints   []consensus.Checkpoint
	Ahead         []consensus.Checkpoint
	AheadEvident  []evidentMark
	OwnCheckpoint *consensus.Checkpoint
	TxsSeen       bool
	EmptyDue      bool
	Proposal      proposalRecord
	VCTimer       timerMark
	EmptyTimer    timerMark
	CommitWait    timerMark
	ProofDue      bool
	ReqTimer      timerMark
	ReqTx         consensus.ID
	Retransmit    int64
	Ticks         int64
	NVReplies     []laggardMark
	VoteViews     []evidentMark
}

type snapSet struct {
	From       int64
	Validators []consensus.Validator
	Proposer   int32
}

type evidentMark struct {
	Validator int32
	At        int64
}

type laggardMark struct {
	Validator int32
	Reply     laggardReply
}

type decidedEntry struct {
	Height int64
	Value  consensus.ID
}

type hashEntry struct {
	Height int64
	Hash   []byte
}

type snapSlot struct {
	Height   int64
	Verdicts []verdictEntry
	Asked    []consensus.ID
	Views    []snapViewSlot
}

type verdictEntry struct {
	Value consensus.ID
	Valid bool
}

type snapViewSlot struct {
	View        int32
	PrePrepare  *consensus.Proposal
	FromNewView bool
	PPEvident   bool
	Prepares    []consensus.Vote
	Commits     []consensus.Vote
	SentPrepare bool
	SentCommit  bool
	Certified   bool
}

// Snapshot encodes the replica's state; New rebuilds it from the bytes.
// Step emits it as SaveSnapshot whenever a checkpoint becomes stable.
func (c *Core) Snapshot() ([]byte, error) {
	var payload bytes.Buffer
	if err := gob.NewEncoder(&payload).Encode(c.toSnapshot()); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(payload.Bytes())
	out := make([]byte, 0, snapshotHeader+payload.Len())
	out = append(out, snapshotMagic...)
	out = append(out, snapshotVersion)
	out = append(out, sum[:]...)
	return append(out, payload.Bytes()...), nil
}

func (c *Core) toSnapshot() *snapshotV1 {
	s := &snapshotV1{
		View: c.view, Active: c.active, Doublings: c.doublings,
		NewView: c.newView, NewViewSent: c.newViewSent, NVEvident: c.nvEvident,
		OwnViewChange: c.ownViewChange, Stable: c.stable,
		LastExecuted: c.lastExecuted, LastDecided: c.lastDecided, LastAppHash: c.lastAppHash,
		PendingDecide: c.pendingDecide, FetchTo: c.fetchTo, FetchMark: c.fetchMark,
		OwnCheckpoint: c.ownCheckpoint, TxsSeen: c.txsSeen, EmptyDue: c.emptyDue,
		Proposal: c.proposal, VCTimer: c.vcTimer, EmptyTimer: c.emptyTimer, Retransmit: c.retransmit,
		Ticks: c.ticks, CommitWait: c.commitWait, ProofDue: c.proofDue,
		ReqTimer: c.reqTimer, ReqTx: c.reqTx,
	}
	for _, set := range c.sets.sets {
		s.Sets = append(s.Sets, snapSet{From: set.From, Validators: set.Vals.Validators, Proposer: set.Vals.Proposer})
	}
	for _, v := range sortedKeys(c.viewChanges) {
		s.ViewChanges = append(s.ViewChanges, *c.viewChanges[v])
	}
	for _, v := range sortedKeys(c.vcEvident) {
		s.VCEvident = append(s.VCEvident, evidentMark{v, int64(c.vcEvident[v])})
	}
	for _, n := range sortedKeys(c.decided) {
		s.Decided = append(s.Decided, decidedEntry{n, c.decided[n]})
	}
	for _, n := range sortedKeys(c.synced) {
		s.Synced = append(s.Synced, c.synced[n])
	}
	for _, n := range sortedKeys(c.executedHashes) {
		s.Executed = append(s.Executed, hashEntry{n, c.executedHashes[n]})
	}
	for _, n := range sortedKeys(c.slots) {
		s.Slots = append(s.Slots, snapshotSlot(n, c.slots[n]))
	}
	for _, n := range sortedKeys(c.prepared) {
		s.Prepared = append(s.Prepared, c.prepared[n])
	}
	for _, h := range sortedKeys(c.checkpoints) {
		s.Checkpoints = append(s.Checkpoints, derefCheckpoints(c.checkpoints[h].tally.All())...)
	}
	for _, v := range sortedKeys(c.ahead) {
		s.Ahead = append(s.Ahead, *c.ahead[v])
	}
	for _, v := range sortedKeys(c.aheadEvident) {
		s.AheadEvident = append(s.AheadEvident, evidentMark{v, c.aheadEvident[v]})
	}
	for _, v := range sortedKeys(c.nvReplied) {
		s.NVReplies = append(s.NVReplies, laggardMark{v, c.nvReplied[v]})
	}
	for _, v := range sortedKeys(c.voteViews) {
		s.VoteViews = append(s.VoteViews, evidentMark{v, int64(c.voteViews[v])})
	}
	return s
}

func snapshotSlot(n int64, sl *slot) snapSlot {
	out := snapSlot{Height: n}
	for _, d := range sortedKeys(sl.verdicts) {
		out.Verdicts = append(out.Verdicts, verdictEntry{d, sl.verdicts[d]})
	}
	out.Asked = sortedKeys(sl.asked)
	for _, w := range sortedKeys(sl.views) {
		vs := sl.views[w]
		out.Views = append(out.Views, snapViewSlot{
			View: w, PrePrepare: vs.prePrepare, FromNewView: vs.fromNewView, PPEvident: vs.ppEvident,
			Prepares: derefVotes(vs.prepares.All()), Commits: derefVotes(vs.commits.All()),
			SentPrepare: vs.sentPrepare, SentCommit: vs.sentCommit, Certified: vs.certified,
		})
	}
	return out
}

// restore rebuilds the replica from a snapshot, rejecting bytes that are not
// one or that describe an impossible state.
func (c *Core) restore(data []byte) (err error) {
	if len(data) < snapshotHeader || string(data[:len(snapshotMagic)]) != snapshotMagic {
		return errors.New("pbft snapshot: not a PBFT snapshot (bad magic); pass nil to start from genesis")
	}
	if v := data[len(snapshotMagic)]; v != snapshotVersion {
		return fmt.Errorf("pbft snapshot: version %d; this build reads version %d", v, snapshotVersion)
	}
	payload := data[snapshotHeader:]
	if sum := sha256.Sum256(payload); !bytes.Equal(sum[:], data[len(snapshotMagic)+1:snapshotHeader]) {
		return errors.New("pbft snapshot: checksum mismatch, the snapshot is corrupt; restore it from a backup or resync the node")
	}
	var s snapshotV1
	if err := gob.NewDecoder(bytes.NewReader(payload)).Decode(&s); err != nil {
		return fmt.Errorf("pbft snapshot: decoding: %w", err)
	}
	if err := c.fromSnapshot(&s); err != nil {
		return fmt.Errorf("pbft snapshot: %w", err)
	}
	return nil
}

func (c *Core) fromSnapshot(s *snapshotV1) error {
	if err := c.restoreSets(s.Sets); err != nil {
		return err
	}
	if err := c.checkSnapshotPositions(s); err != nil {
		return err
	}
	c.view, c.active, c.doublings = s.View, s.Active, s.Doublings
	c.newView, c.newViewSent, c.nvEvident = s.NewView, s.NewViewSent, s.NVEvident
	c.ownViewChange, c.stable = s.OwnViewChange, s.Stable
	c.lastExecuted, c.lastDecided, c.lastAppHash = s.LastExecuted, s.LastDecided, s.LastAppHash
	c.pendingDecide, c.fetchTo, c.fetchMark = s.PendingDecide, s.FetchTo, s.FetchMark
	c.ownCheckpoint, c.txsSeen, c.emptyDue = s.OwnCheckpoint, s.TxsSeen, s.EmptyDue
	c.proposal, c.vcTimer, c.emptyTimer, c.retransmit = s.Proposal, s.VCTimer, s.EmptyTimer, s.Retransmit
	c.ticks, c.commitWait, c.proofDue = s.Ticks, s.CommitWait, s.ProofDue
	c.reqTimer, c.reqTx = s.ReqTimer, s.ReqTx
	c.self = indexOf(c.current(), c.selfAddr)
	for i := range s.ViewChanges {
		c.viewChanges[s.ViewChanges[i].Validator] = &s.ViewChanges[i]
	}
	for _, e := range s.VCEvident {
		c.vcEvident[e.Validator] = int32(e.At)
	}
	for _, e := range s.Decided {
		c.decided[e.Height] = e.Value
	}
	for _, sy := range s.Synced {
		c.synced[sy.Height] = sy
	}
	for _, e := range s.Executed {
		c.executedHashes[e.Height] = e.Hash
	}
	for _, sl := range s.Slots {
		c.restoreSlot(sl)
	}
	for _, pc := range s.Prepared {
		c.prepared[pc.PrePrepare.Height] = pc
	}
	for i := range s.Checkpoints {
		cp := &s.Checkpoints[i]
		cs := c.checkpoints[cp.Height]
		if cs == nil {
			cs = newCheckpointSlot(c.sets.at(cp.Height))
			c.checkpoints[cp.Height] = cs
		}
		cs.add(cp)
	}
	for i := range s.Ahead {
		c.ahead[s.Ahead[i].Validator] = &s.Ahead[i]
	}
	for _, e := range s.AheadEvident {
		c.aheadEvident[e.Validator] = e.At
	}
	for _, e := range s.NVReplies {
		c.nvReplied[e.Validator] = e.Reply
	}
	for _, e := range s.VoteViews {
		c.voteViews[e.Validator] = int32(e.At)
	}
	return nil
}

func (c *Core) restoreSets(sets []snapSet) error {
	if len(sets) == 0 {
		return errors.New("no validator set")
	}
	for i, set := range sets {
		vals, err := consensus.ValidatorSetFromExisting(set.Validators, set.Proposer)
		if err != nil {
			return fmt.Errorf("validator set from height %d: %w", set.From, err)
		}
		if i > 0 && set.From <= sets[i-1].From {
			return fmt.Errorf("validator sets out of order at height %d", set.From)
		}
		c.sets.sets = append(c.sets.sets, setFrom{From: set.From, Vals: vals})
	}
	return nil
}

func (c *Core) checkSnapshotPositions(s *snapshotV1) error {
	genesis := c.cfg.InitialHeight - 1
	switch {
	case s.View < 0:
		return fmt.Errorf("negative view %d", s.View)
	case s.Stable.Height < genesis || s.LastExecuted < genesis:
		return fmt.Errorf("stable checkpoint %d or last executed height %d below the chain's start %d (is initial_height right?)", s.Stable.Height, s.LastExecuted, genesis)
	case s.LastDecided != s.LastExecuted && s.LastDecided != s.LastExecuted+1:
		return fmt.Errorf("last decided height %d and last executed height %d are inconsistent", s.LastDecided, s.LastExecuted)
	case (s.PendingDecide != nil) != (s.LastDecided > s.LastExecuted):
		return fmt.Errorf("decided block awaiting execution does not match heights %d/%d", s.LastDecided, s.LastExecuted)
	case s.PendingDecide != nil && s.PendingDecide.Height != s.LastDecided:
		return fmt.Errorf("decided block awaiting execution is at height %d, not %d", s.PendingDecide.Height, s.LastDecided)
	case s.Doublings < 0 || s.Doublings > maxDoublings+1:
		return fmt.Errorf("view change count %d out of range", s.Doublings)
	}
	return nil
}

func (c *Core) restoreSlot(sl snapSlot) {
	s := c.slotFor(sl.Height)
	for _, e := range sl.Verdicts {
		s.verdicts[e.Value] = e.Valid
	}
	for _, d := range sl.Asked {
		s.asked[d] = true
	}
	vals := c.sets.at(sl.Height)
	self := c.selfAt(sl.Height)
	for i := range sl.Views {
		sv := &sl.Views[i]
		vs := newViewSlot(vals)
		vs.prePrepare, vs.fromNewView, vs.ppEvident = sv.PrePrepare, sv.FromNewView, sv.PPEvident
		vs.sentPrepare, vs.sentCommit, vs.certified = sv.SentPrepare, sv.SentCommit, sv.Certified
		for j := range sv.Prepares {
			v := &sv.Prepares[j]
			if counted, _, _ := vs.prepares.Add(v.Validator, v.Value, v); counted && v.Validator == self {
				vs.ownPrepare = v
			}
		}
		for j := range sv.Commits {
			v := &sv.Commits[j]
			if counted, _, _ := vs.commits.Add(v.Validator, v.Value, v); counted && v.Validator == self {
				vs.ownCommit = v
			}
			if !vs.committed && vs.commits.HasQuorum(v.Value) {
				vs.committed, vs.commitValue = true, v.Value
			}
		}
		s.views[sv.View] = vs
	}
}
