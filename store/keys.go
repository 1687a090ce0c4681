package store

import (
	"encoding/binary"
	"fmt"
)

// Key prefixes; see doc.go for the layout.
var (
	blockRangeKey   = []byte{0x01}
	stateKey        = []byte{0x01}
	lastFinalizeKey = []byte{0x02}
	appCommitKey    = []byte{0x03}
	commitSentKey   = []byte{0x04}
)

const (
	prefixBlock       = 'B'
	prefixBlockMeta   = 'M'
	prefixBlockHash   = 'H'
	prefixCommit      = 'C'
	prefixSeenCommit  = 'S'
	prefixExtCommit   = 'E'
	prefixValidators  = 'V'
	prefixParams      = 'P'
	prefixFinalizeRes = 'R'
)

func heightKey(prefix byte, height int64) []byte {
	k := make([]byte, 9)
	k[0] = prefix
	binary.BigEndian.PutUint64(k[1:], uint64(height))
	return k
}

func hashKey(hash []byte) []byte { return append([]byte{prefixBlockHash}, hash...) }

func encodeHeight(h int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(h)) }

func decodeHeight(b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("height value has %d bytes, want 8", len(b))
	}
	h := int64(binary.BigEndian.Uint64(b))
	if h < 0 {
		return 0, fmt.Errorf("height %d is negative", h)
	}
	return h, nil
}
