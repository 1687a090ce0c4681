package wire

import (
	"errors"
	"fmt"
	"time"

	"github.com/bftnode/bftnode/consensus"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"
)

type cmtBlockID = cmtproto.BlockID

// ErrInvalid marks a message that breaks the wire rules: the sender is
// faulty or Byzantine, so the message is dropped and the peer penalized.
var ErrInvalid = errors.New("invalid wire message")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

const (
	// MaxValidators bounds validator indices and the number of signed
	// messages one certificate may carry: CometBFT's MaxVotesCount.
	MaxValidators = types.MaxVotesCount
	// MaxAppHashBytes bounds a checkpoint's application hash. ABCI does not
	// fix its length; real applications use 32 bytes or fewer.
	MaxAppHashBytes = 256
	// MaxPreparedCerts bounds the sequence numbers one PBFT VIEW-CHANGE or
	// NEW-VIEW may cover: the watermark window must not exceed it.
	MaxPreparedCerts = 10000
)

// MaxVoteExtensionBytes is the largest vote extension accepted:
// CometBFT's types.MaxVoteExtensionSize.
const MaxVoteExtensionBytes = types.MaxVoteExtensionSize

// MaxSignatureBytes is the longest signature accepted: CometBFT's
// types.MaxSignatureSize, which admits ML-DSA-65 validator keys as well as
// ed25519 ones (64 bytes).
var MaxSignatureBytes = types.MaxSignatureSize

// Proto timestamps cover years 1 to 9999; CometBFT's canonical sign bytes
// cannot encode a time outside that range.
var (
	minTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)
)

func checkHeight(what string, h int64) error {
	if h < 1 {
		return invalidf("%s: height %d; heights start at 1", what, h)
	}
	return nil
}

func checkRound(what string, r int32) error {
	if r < 0 {
		return invalidf("%s: round %d is negative", what, r)
	}
	return nil
}

func checkView(what string, v int32) error {
	if v < 0 {
		return invalidf("%s: view %d is negative", what, v)
	}
	return nil
}

func checkIndex(what string, i int32) error {
	if i < 0 || i >= MaxValidators {
		return invalidf("%s: validator index %d outside [0,%d)", what, i, MaxValidators)
	}
	return nil
}

func checkSignature(what string, sig []byte) error {
	if len(sig) == 0 {
		return invalidf("%s: signature missing", what)
	}
	if len(sig) > MaxSignatureBytes {
		return invalidf("%s: signature is %d bytes; at most %d", what, len(sig), MaxSignatureBytes)
	}
	return nil
}

func checkTime(what string, t time.Time) error {
	if t.Before(minTime) || t.After(maxTime) {
		return invalidf("%s: timestamp %v outside years 1-9999", what, t)
	}
	return nil
}

func checkID(what string, id consensus.ID) error {
	if _, err := DecodeID(id); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

func checkCount(what string, n, max int) error {
	if n > max {
		return invalidf("%s: %d entries; at most %d", what, n, max)
	}
	return nil
}

// distinct reports the first validator index that appears twice.
type distinct map[int32]bool

func (d distinct) add(what string, i int32) error {
	if d[i] {
		return invalidf("%s: validator %d appears twice", what, i)
	}
	d[i] = true
	return nil
}
