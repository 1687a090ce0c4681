package indexer

import (
	"encoding/binary"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/syndtr/goleveldb/leveldb"
)

// postings gathers a block's attribute entries before they are written:
// one list per attribute name (of item, event sequence number and value)
// and one per name and value (of item and sequence number), each in the
// order items and their events come. A block whose transactions repeat an
// attribute name or value writes one entry for it, not one per
// transaction: indexing costs a fraction of what a key per attribute did.
type postings struct {
	sp      space
	lists   map[string][]byte // key prefix (without the height) -> list
	order   []string          // prefixes in first-seen order, for a deterministic batch
	scratch []byte
}

func newPostings(sp space) *postings {
	return &postings{sp: sp, lists: map[string][]byte{}}
}

// reset empties p for another block, keeping its storage.
func (p *postings) reset() {
	clear(p.lists)
	p.order = p.order[:0]
}

// add records the indexed attributes of an item's events: index is the
// transaction's position in its block (unused for blocks).
func (p *postings) add(index uint32, events []abci.Event) {
	for seq, e := range events {
		if e.Type == "" {
			continue
		}
		for _, a := range e.Attributes {
			if !a.Index || a.Key == "" {
				continue
			}
			if isCompositeKey(p.sp.heightTag, e.Type, a.Key) || (p.sp.hashTag != "" && isCompositeKey(p.sp.hashTag, e.Type, a.Key)) {
				continue // the item's own height and hash are not the app's to set
			}
			p.scratch = appendCompositeKey(append(p.scratch[:0], p.sp.byKey), e.Type, a.Key)
			p.appendItem(index, uint32(seq), a.Value, true)
			p.scratch = appendString(appendCompositeKey(append(p.scratch[:0], p.sp.byValue), e.Type, a.Key), a.Value)
			p.appendItem(index, uint32(seq), a.Value, false)
		}
	}
}

// appendItem adds one item to the list under the prefix in scratch.
func (p *postings) appendItem(index, seq uint32, value string, withValue bool) {
	list, seen := p.lists[string(p.scratch)]
	if !seen {
		p.order = append(p.order, string(p.scratch))
	}
	if p.sp.itemIndex {
		list = appendUint32(list, index)
	}
	list = appendUint32(list, seq)
	if withValue {
		list = binary.AppendUvarint(list, uint64(len(value)))
		list = append(list, value...)
	}
	p.lists[string(p.scratch)] = list
}

// write puts every list into batch under its prefix and height.
func (p *postings) write(batch *leveldb.Batch, height int64) {
	for _, prefix := range p.order {
		batch.Put(appendHeight([]byte(prefix), height), p.lists[prefix])
	}
}

// posting is one item of a list read back.
type posting struct {
	index uint32 // transactions only
	seq   uint32
	value []byte // lists of attribute names only
}

// decodePostings splits a list into out: withIndex for transactions,
// withValue for the lists of attribute names.
func decodePostings(b []byte, withIndex, withValue bool, out []posting) ([]posting, error) {
	for len(b) > 0 {
		var it posting
		if withIndex {
			if len(b) < indexLen {
				return nil, errShortKey
			}
			it.index, b = binary.BigEndian.Uint32(b), b[indexLen:]
		}
		if len(b) < seqLen {
			return nil, errShortKey
		}
		it.seq, b = binary.BigEndian.Uint32(b), b[seqLen:]
		if withValue {
			n, k := binary.Uvarint(b)
			if k <= 0 || uint64(len(b)-k) < n {
				return nil, errShortKey
			}
			it.value, b = b[k:k+int(n)], b[k+int(n):]
		}
		out = append(out, it)
	}
	return out, nil
}
