package indexer

import (
	"encoding/binary"
	"errors"
)

const (
	prefixMeta       = 0x00
	prefixTx         = 0x10
	prefixTxHash     = 0x11
	prefixTxByKey    = 0x12
	prefixTxByValue  = 0x13
	prefixBlock      = 0x20
	prefixBlkByKey   = 0x22
	prefixBlkByValue = 0x23

	heightLen = 8
	indexLen  = 4
	seqLen    = 4
)

var (
	lastHeightKey = []byte{prefixMeta, 'L'}
	layoutKey     = []byte{prefixMeta, 'V'}
	baseKey       = []byte{prefixMeta, 'B'}
)

// layoutVersion names the layout of the package documentation. Version 1,
// with one key per attribute of every item, had no version record.
const layoutVersion = 2

// appendHeight appends h as 8 big-endian bytes; heights are never negative,
// so byte order is numeric order.
func appendHeight(b []byte, h int64) []byte { return binary.BigEndian.AppendUint64(b, uint64(h)) }

func appendUint32(b []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(b, v) }

// appendString appends s preceded by its length, which keeps the keys of
// one attribute name from being a prefix of another name's keys.
func appendString(b []byte, s string) []byte {
	b = appendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func readHeight(b []byte) int64 { return int64(binary.BigEndian.Uint64(b)) }

// txID is the identity of a transaction in the indexes: height and index.
func txID(height int64, index uint32) []byte {
	return appendUint32(appendHeight(make([]byte, 0, heightLen+indexLen), height), index)
}

func blockID(height int64) []byte { return appendHeight(make([]byte, 0, heightLen), height) }

func primaryKey(prefix byte, id []byte) []byte {
	return append([]byte{prefix}, id...)
}

func byKeyPrefix(prefix byte, compositeKey string) []byte {
	return appendString([]byte{prefix}, compositeKey)
}

func byValuePrefix(prefix byte, compositeKey, value string) []byte {
	return appendString(byKeyPrefix(prefix, compositeKey), value)
}

// appendCompositeKey appends typ + "." + key as appendString would, without
// building the string.
func appendCompositeKey(b []byte, typ, key string) []byte {
	b = appendUint32(b, uint32(len(typ)+1+len(key)))
	b = append(b, typ...)
	b = append(b, '.')
	return append(b, key...)
}

var errShortKey = errors.New("index key is shorter than its layout; the index is corrupted: stop the node, delete the indexer's directory and restart to rebuild it")
