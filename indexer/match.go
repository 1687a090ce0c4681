package indexer

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/pubsub/query"
	"github.com/cometbft/cometbft/libs/pubsub/query/syntax"
)

// condition is one condition of a query with its compiled matcher.
type condition struct {
	syntax.Condition
	single *query.Query // the condition alone, for the comparisons the query package owns
}

// matches tells whether one attribute value satisfies the condition. The
// common string comparisons are done here without allocating; numbers,
// dates and times go through the query package so that they compare exactly
// as in event subscriptions.
func (c condition) matches(value string) bool {
	switch {
	case c.Op == syntax.TExists:
		return true
	case c.Op == syntax.TEq && c.Arg.Type == syntax.TString:
		return value == c.Arg.Value()
	case c.Op == syntax.TContains && c.Arg.Type == syntax.TString:
		return strings.Contains(value, c.Arg.Value())
	}
	ok, err := c.single.Matches(map[string][]string{c.Tag: {value}})
	return err == nil && ok
}

// stringEquality is true for `key = 'value'`, the one condition whose
// matches are all under one key prefix of the value index.
func (c condition) stringEquality() bool {
	return c.Op == syntax.TEq && c.Arg != nil && c.Arg.Type == syntax.TString
}

// heightRange is an inclusive range of heights.
type heightRange struct{ lo, hi int64 }

func (r heightRange) empty() bool           { return r.lo > r.hi }
func (r heightRange) contains(h int64) bool { return h >= r.lo && h <= r.hi }

// plan is a query taken apart for one index: height conditions become a
// range where they can (the rest are checked on the height's decimal text),
// tx.hash equalities a hash, and the remaining conditions are on attributes.
type plan struct {
	heights     heightRange
	heightOther []condition
	hash        []byte // tx.hash = '...', nil if absent
	hashOther   []condition
	attrs       []condition
}

// newPlan splits q for an index whose height tag is heightTag and whose hash
// tag is hashTag ("" when the index has no hashes).
func newPlan(q *query.Query, heightTag, hashTag string) (*plan, error) {
	p := &plan{heights: heightRange{lo: 0, hi: math.MaxInt64}}
	for _, sc := range q.Syntax() {
		single, err := query.Compile(syntax.Query{sc})
		if err != nil {
			return nil, fmt.Errorf("query condition %q: %w", sc.String(), err)
		}
		c := condition{Condition: sc, single: single}
		switch {
		case c.Tag == heightTag:
			if !p.narrowHeights(c) {
				p.heightOther = append(p.heightOther, c)
			}
		case hashTag != "" && c.Tag == hashTag:
			if err := p.addHash(c); err != nil {
				return nil, err
			}
		default:
			p.attrs = append(p.attrs, c)
		}
	}
	return p, nil
}

func (p *plan) addHash(c condition) error {
	if !c.stringEquality() {
		p.hashOther = append(p.hashOther, c)
		return nil
	}
	h, err := hex.DecodeString(c.Arg.Value())
	if err != nil {
		return fmt.Errorf("error during searching for a hash in the query: %s is not a hex-encoded hash: %w", c.Arg.Value(), err)
	}
	if p.hash != nil && string(p.hash) != string(h) {
		p.heights = heightRange{lo: 1, hi: 0} // two different hashes: nothing matches
	}
	p.hash = h
	return nil
}

// narrowHeights applies a numeric comparison on the height to the range and
// reports whether the condition was one.
func (p *plan) narrowHeights(c condition) bool {
	if c.Arg == nil || c.Arg.Type != syntax.TNumber {
		return false
	}
	x := c.Arg.Number()
	if x == nil {
		return false
	}
	r := &p.heights
	switch c.Op {
	case syntax.TEq:
		v, acc := x.Int64()
		if acc != big.Exact {
			*r = heightRange{lo: 1, hi: 0}
			return true
		}
		r.lo, r.hi = max(r.lo, v), min(r.hi, v)
	case syntax.TGt:
		if f := floor(x); f == math.MaxInt64 {
			*r = heightRange{lo: 1, hi: 0}
		} else {
			r.lo = max(r.lo, f+1)
		}
	case syntax.TGeq:
		r.lo = max(r.lo, ceil(x))
	case syntax.TLt:
		if c := ceil(x); c == math.MinInt64 {
			*r = heightRange{lo: 1, hi: 0}
		} else {
			r.hi = min(r.hi, c-1)
		}
	case syntax.TLeq:
		r.hi = min(r.hi, floor(x))
	default:
		return false
	}
	return true
}

// floor and ceil round x to an int64, saturating outside its range.
func floor(x *big.Float) int64 {
	v, acc := x.Int64()
	if acc == big.Above && v != math.MinInt64 {
		v--
	}
	return v
}

func ceil(x *big.Float) int64 {
	v, acc := x.Int64()
	if acc == big.Below && v != math.MaxInt64 {
		v++
	}
	return v
}

// heightMatches checks the height conditions.
func (p *plan) heightMatches(h int64) bool {
	if !p.heights.contains(h) {
		return false
	}
	if len(p.heightOther) == 0 {
		return true
	}
	text := strconv.FormatInt(h, 10)
	for _, c := range p.heightOther {
		if !c.matches(text) {
			return false
		}
	}
	return true
}

// hashMatches checks the tx.hash conditions.
func (p *plan) hashMatches(hash []byte) bool {
	if p.hash != nil && string(p.hash) != string(hash) {
		return false
	}
	if len(p.hashOther) == 0 {
		return true
	}
	text := strings.ToUpper(hex.EncodeToString(hash))
	for _, c := range p.hashOther {
		if !c.matches(text) {
			return false
		}
	}
	return true
}

// eventsMatch checks the attribute conditions: all of them must hold within
// one event, counting only the attributes that are indexed.
func (p *plan) eventsMatch(events []abci.Event) bool {
	if len(p.attrs) == 0 {
		return true
	}
	for _, e := range events {
		if e.Type != "" && p.eventMatches(e) {
			return true
		}
	}
	return false
}

func (p *plan) eventMatches(e abci.Event) bool {
	for _, c := range p.attrs {
		found := false
		for _, a := range e.Attributes {
			if a.Index && a.Key != "" && isCompositeKey(c.Tag, e.Type, a.Key) && c.matches(a.Value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// isCompositeKey tells whether tag is typ + "." + key, without building it.
func isCompositeKey(tag, typ, key string) bool {
	return len(tag) == len(typ)+1+len(key) && strings.HasPrefix(tag, typ) &&
		tag[len(typ)] == '.' && strings.HasSuffix(tag, key)
}
