package indexer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// Page asks for one page of a search's results.
type Page struct {
	Number     int  // 1-based
	Size       int  // results per page, at least 1
	Descending bool // highest height first
}

func (pg Page) check() error {
	if pg.Number < 1 || pg.Size < 1 {
		return fmt.Errorf("page %d of size %d: page and size must be at least 1", pg.Number, pg.Size)
	}
	return nil
}

// skip is how many matches come before the page.
func (pg Page) skip() int {
	if pg.Number-1 > math.MaxInt/pg.Size {
		return math.MaxInt
	}
	return (pg.Number - 1) * pg.Size
}

// space describes one kind of indexed item: transactions or blocks.
type space struct {
	primary, byKey, byValue byte
	idLen                   int
	itemIndex               bool // postings name the item's index in its block (transactions)
	heightTag, hashTag      string
}

// collector counts matches and keeps copies of the identities on the page.
type collector struct {
	skip, size, total int
	ids               [][]byte
}

func (c *collector) add(id []byte) {
	if c.total >= c.skip && len(c.ids) < c.size {
		c.ids = append(c.ids, bytes.Clone(id))
	}
	c.total++
}

// driver is the key range a search walks and how its entries qualify.
type driver struct {
	prefix   []byte
	postings bool       // entries are lists of postings under prefix and a height; else primary records
	values   bool       // the postings carry attribute values (lists of attribute names)
	filter   *condition // a posting is a candidate if its value matches; nil: all are
	keyOnly  bool       // a candidate is a match without reading its events
}

// chooseDriver picks the most selective key range for p (see the package
// documentation); the hash case is handled before.
func chooseDriver(sp space, p *plan) driver {
	rest := len(p.heightOther) == 0 && p.hash == nil && len(p.hashOther) == 0
	for i := range p.attrs {
		if c := p.attrs[i]; c.stringEquality() {
			return driver{prefix: byValuePrefix(sp.byValue, c.Tag, c.Arg.Value()), postings: true, keyOnly: rest && len(p.attrs) == 1}
		}
	}
	if len(p.attrs) > 0 {
		c := p.attrs[0]
		return driver{prefix: byKeyPrefix(sp.byKey, c.Tag), postings: true, values: true, filter: &c, keyOnly: rest && len(p.attrs) == 1}
	}
	return driver{prefix: []byte{sp.primary}, keyOnly: rest}
}

// evaluator checks every condition of a plan on one stored item.
type evaluator func(snap *leveldb.Snapshot, id []byte) (bool, error)

// search walks the driver's range in page order, counting all matches and
// keeping the identities of the page's.
func search(ctx context.Context, snap *leveldb.Snapshot, sp space, p *plan, pg Page, eval evaluator) ([][]byte, int, error) {
	if err := pg.check(); err != nil {
		return nil, 0, err
	}
	if p.heights.empty() {
		return nil, 0, nil
	}
	w := &walk{snap: snap, d: chooseDriver(sp, p), eval: eval, col: &collector{skip: pg.skip(), size: pg.Size}}
	it := snap.NewIterator(heightSpan(w.d.prefix, p.heights), nil)
	defer it.Release()
	step, start := it.Next, it.First
	if pg.Descending {
		step, start = it.Prev, it.Last
	}
	n := 0
	var items []posting
	for ok := start(); ok; ok = step() {
		if n++; n%1024 == 0 && ctx.Err() != nil {
			return nil, 0, fmt.Errorf("search stopped: %w", ctx.Err())
		}
		if !w.d.postings {
			id, err := primaryID(it.Key(), len(w.d.prefix), sp.idLen)
			if err != nil {
				return nil, 0, err
			}
			if err := w.consider(id, nil); err != nil {
				return nil, 0, err
			}
			continue
		}
		height, err := postingHeight(it.Key(), len(w.d.prefix))
		if err != nil {
			return nil, 0, err
		}
		if items, err = decodePostings(it.Value(), sp.itemIndex, w.d.values, items[:0]); err != nil {
			return nil, 0, err
		}
		for j := range items {
			if n++; n%1024 == 0 && ctx.Err() != nil {
				return nil, 0, fmt.Errorf("search stopped: %w", ctx.Err())
			}
			if pg.Descending {
				j = len(items) - 1 - j
			}
			w.id = appendHeight(w.id[:0], height)
			if sp.itemIndex {
				w.id = appendUint32(w.id, items[j].index)
			}
			if err := w.consider(w.id, items[j].value); err != nil {
				return nil, 0, err
			}
		}
	}
	if err := it.Error(); err != nil {
		return nil, 0, fmt.Errorf("reading the index: %w", err)
	}
	return w.col.ids, w.col.total, nil
}

// walk is a search in progress.
type walk struct {
	snap *leveldb.Snapshot
	d    driver
	eval evaluator
	col  *collector
	last []byte // the item decided last
	id   []byte // scratch for the identity of a posting
}

// consider decides one candidate entry for the item id; value is the
// attribute value of a posting of a list of attribute names.
func (w *walk) consider(id, value []byte) error {
	if w.last != nil && bytes.Equal(id, w.last) {
		return nil // this item was already decided by an earlier entry
	}
	if w.d.filter != nil && !w.d.filter.matches(string(value)) {
		return nil
	}
	w.last = append(w.last[:0], id...)
	match := w.d.keyOnly
	if !match {
		var err error
		if match, err = w.eval(w.snap, id); err != nil {
			return err
		}
	}
	if match {
		w.col.add(id)
	}
	return nil
}

// heightSpan is the part of the range under prefix whose identities start
// with a height in r.
func heightSpan(prefix []byte, r heightRange) *util.Range {
	rng := &util.Range{Start: appendHeight(bytes.Clone(prefix), max(r.lo, 0))}
	if r.hi == math.MaxInt64 {
		rng.Limit = util.BytesPrefix(prefix).Limit
	} else {
		rng.Limit = appendHeight(bytes.Clone(prefix), r.hi+1)
	}
	return rng
}

// primaryID is the item identity in the key of a primary record.
func primaryID(key []byte, prefixLen, idLen int) ([]byte, error) {
	if len(key)-prefixLen != idLen {
		return nil, errShortKey
	}
	return key[prefixLen:], nil
}

// postingHeight is the height in the key of a list of postings.
func postingHeight(key []byte, prefixLen int) (int64, error) {
	if len(key)-prefixLen != heightLen {
		return 0, errShortKey
	}
	return readHeight(key[prefixLen:]), nil
}

// hashCandidate finds the one transaction a tx.hash equality allows.
func hashCandidate(snap *leveldb.Snapshot, hash []byte) ([]byte, error) {
	id, err := snap.Get(append([]byte{prefixTxHash}, hash...), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the transaction index: %w", err)
	}
	if len(id) != heightLen+indexLen {
		return nil, errShortKey
	}
	base, err := readHeightRecord(snap, baseKey, "lowest kept height")
	if err != nil || readHeight(id) < base {
		return nil, err // pruned, perhaps not deleted yet: unknown
	}
	return id, nil
}

// skipPruned narrows the plan to the heights the snapshot has not pruned:
// a pruning in progress deletes in several batches, but hides every
// pruned height at once.
func (p *plan) skipPruned(snap *leveldb.Snapshot) error {
	base, err := readHeightRecord(snap, baseKey, "lowest kept height")
	p.heights.lo = max(p.heights.lo, base)
	return err
}
