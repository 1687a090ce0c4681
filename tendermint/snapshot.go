package tendermint

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// snapshotVersion is the encoding written by this code; decoding accepts
// only it, so a format change must bump it and keep a decoder for the old.
const snapshotVersion = 1

// ErrBadSnapshot marks snapshot bytes that cannot rebuild a core.
var ErrBadSnapshot = errors.New("tendermint: bad snapshot")

// snapshotJSON is the encoded state at the moment a height is entered.
// Values are raw bytes (IDs are not UTF-8 text), times are Unix seconds and
// nanoseconds, so that a round trip is exact.
type snapshotJSON struct {
	Version        int               `json:"version"`
	Height         int64             `json:"height"`
	Validators     []validatorJSON   `json:"validators"`
	Proposer       int32             `json:"proposer"`
	AfterCommit    bool              `json:"after_commit"`
	TxsAvailable   bool              `json:"txs_available"`
	AppHash        []byte            `json:"app_hash"`
	AppHashKnown   bool              `json:"app_hash_known"`
	AppHashChanged bool              `json:"app_hash_changed"`
	RetransmitSeq  int32             `json:"retransmit_seq"`
	Buffered       []bufferedMsgJSON `json:"buffered"`
}

type validatorJSON struct {
	Address  []byte `json:"address"`
	PubKey   []byte `json:"pub_key"`
	Power    int64  `json:"power"`
	Priority int64  `json:"priority"`
}

type bufferedMsgJSON struct {
	Height    int64  `json:"height"`
	Proposal  bool   `json:"proposal"`
	VoteType  uint8  `json:"vote_type"`
	Round     int32  `json:"round"`
	POLRound  int32  `json:"pol_round"`
	Value     []byte `json:"value"`
	Signer    int32  `json:"signer"`
	UnixSec   int64  `json:"unix_sec"`
	UnixNano  int32  `json:"unix_nano"`
	Signature []byte `json:"signature"`
	// Extension and ExtSignature: a precommit's vote extension, carried.
	Extension    []byte `json:"extension,omitempty"`
	ExtSignature []byte `json:"extension_signature,omitempty"`
}

// snapshot encodes the state of the height just entered.
func (c *Core) snapshot() ([]byte, error) {
	s := snapshotJSON{
		Version: snapshotVersion, Height: c.h.number, Proposer: c.h.vals.Proposer,
		AfterCommit: c.carry.afterCommit, TxsAvailable: c.carry.txsAvailable,
		AppHash: c.carry.appHash, AppHashKnown: c.carry.appHashKnown, AppHashChanged: c.carry.appHashChanged,
		RetransmitSeq: c.carry.retransmitSeq,
	}
	for _, v := range c.h.vals.Validators {
		s.Validators = append(s.Validators, validatorJSON{v.Address, v.PubKey, v.Power, v.ProposerPriority})
	}
	for _, e := range c.carry.buffered.msgs {
		s.Buffered = append(s.Buffered, encodeBuffered(e))
	}
	out, err := json.Marshal(s)
	if err != nil {
		return nil, brokenf("encoding the snapshot of height %d: %v", c.h.number, err)
	}
	return out, nil
}

func encodeBuffered(e bufferedMessage) bufferedMsgJSON {
	switch m := e.msg.(type) {
	case *consensus.Proposal:
		return bufferedMsgJSON{Height: e.height, Proposal: true, Round: m.Round, POLRound: m.POLRound,
			Value: []byte(m.Value), Signer: m.Proposer, UnixSec: m.Timestamp.Unix(),
			UnixNano: int32(m.Timestamp.Nanosecond()), Signature: m.Signature}
	case *consensus.Vote:
		return bufferedMsgJSON{Height: e.height, VoteType: uint8(m.Type), Round: m.Round, POLRound: -1,
			Value: []byte(m.Value), Signer: m.Validator, UnixSec: m.Timestamp.Unix(),
			UnixNano: int32(m.Timestamp.Nanosecond()), Signature: m.Signature,
			Extension: m.Extension, ExtSignature: m.ExtensionSignature}
	}
	return bufferedMsgJSON{}
}

type decodedSnapshot struct {
	height int64
	vals   *consensus.ValidatorSet
	carry  carryState
}

// decodeSnapshot rebuilds the state a snapshot recorded, checking every
// field: bytes from disk are input like any other.
func decodeSnapshot(data []byte, cfg Config) (decodedSnapshot, error) {
	var s snapshotJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return decodedSnapshot{}, fmt.Errorf("%w: %v; the snapshot file is damaged, restore it or start from genesis", ErrBadSnapshot, err)
	}
	if s.Version != snapshotVersion {
		return decodedSnapshot{}, fmt.Errorf("%w: version %d, this build reads version %d", ErrBadSnapshot, s.Version, snapshotVersion)
	}
	if s.Height < cfg.InitialHeight {
		return decodedSnapshot{}, fmt.Errorf("%w: height %d is below the initial height %d", ErrBadSnapshot, s.Height, cfg.InitialHeight)
	}
	vals := make([]consensus.Validator, len(s.Validators))
	for i, v := range s.Validators {
		vals[i] = consensus.Validator{Address: v.Address, PubKey: v.PubKey, Power: v.Power, ProposerPriority: v.Priority}
	}
	vs, err := consensus.ValidatorSetFromExisting(vals, s.Proposer)
	if err != nil {
		return decodedSnapshot{}, fmt.Errorf("%w: validator set: %v", ErrBadSnapshot, err)
	}
	if len(s.Buffered) > maxBuffered {
		return decodedSnapshot{}, fmt.Errorf("%w: %d buffered messages, at most %d", ErrBadSnapshot, len(s.Buffered), maxBuffered)
	}
	d := decodedSnapshot{height: s.Height, vals: vs, carry: carryState{
		afterCommit: s.AfterCommit, txsAvailable: s.TxsAvailable,
		appHash: s.AppHash, appHashKnown: s.AppHashKnown, appHashChanged: s.AppHashChanged,
		retransmitSeq: s.RetransmitSeq,
	}}
	if s.RetransmitSeq < 0 {
		return decodedSnapshot{}, fmt.Errorf("%w: negative retransmit sequence %d", ErrBadSnapshot, s.RetransmitSeq)
	}
	for i, b := range s.Buffered {
		m := decodeBuffered(b)
		if _, _, err := checkFields(m); err != nil || b.Height < s.Height {
			return decodedSnapshot{}, fmt.Errorf("%w: buffered message %d is malformed", ErrBadSnapshot, i)
		}
		d.carry.buffered.msgs = append(d.carry.buffered.msgs, bufferedMessage{b.Height, m})
	}
	return d, nil
}

func decodeBuffered(b bufferedMsgJSON) consensus.Message {
	ts := time.Unix(b.UnixSec, int64(b.UnixNano)).UTC()
	if b.Proposal {
		return &consensus.Proposal{Height: b.Height, Round: b.Round, POLRound: b.POLRound,
			Value: consensus.ID(b.Value), Proposer: b.Signer, Timestamp: ts, Signature: b.Signature}
	}
	return &consensus.Vote{Type: consensus.VoteType(b.VoteType), Height: b.Height, Round: b.Round,
		Value: consensus.ID(b.Value), Validator: b.Signer, Timestamp: ts, Signature: b.Signature,
		Extension: b.Extension, ExtensionSignature: b.ExtSignature}
}
