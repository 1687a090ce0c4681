package rpc

import (
	"errors"
	"fmt"
)

// The paging defaults of CometBFT's routes.
const (
	defaultPerPage = 30
	maxPerPage     = 100

	// maxQueryLength bounds query strings, as CometBFT does.
	maxQueryLength = 512
)

// perPage applies CometBFT's per_page rule: missing or below 1 means the
// default, above the maximum means the maximum.
func perPage(p *int) int {
	switch {
	case p == nil || *p < 1:
		return defaultPerPage
	case *p > maxPerPage:
		return maxPerPage
	}
	return *p
}

// checkPage applies CometBFT's page rule once the total is known: a missing
// page is the first, and a given one must lie in [1, pages].
func checkPage(p *int, perPage, total int) (int, error) {
	if p == nil {
		return 1, nil
	}
	pages := (total-1)/perPage + 1
	if pages < 1 {
		pages = 1
	}
	if *p <= 0 || *p > pages {
		return 1, fmt.Errorf("page should be within [1, %d] range, given %d", pages, *p)
	}
	return *p, nil
}

// requestedPage is the page to ask the indexer for; a page out of range is
// answered by checkPage once the total is known.
func requestedPage(p *int) int {
	if p == nil || *p < 1 {
		return 1
	}
	return *p
}

// orderDescending reads order_by; empty means the route's default.
func orderDescending(orderBy string, defaultDesc bool) (bool, error) {
	switch orderBy {
	case "":
		return defaultDesc, nil
	case "asc":
		return false, nil
	case "desc":
		return true, nil
	}
	return false, errors.New("expected order_by to be either `asc` or `desc` or empty")
}

// heightUpToLatest checks a requested height against the chain up to
// latestHeight; nil means latest.
func (r *routes) heightUpToLatest(h *int64) (int64, error) {
	latest, err := r.latestHeight()
	if err != nil {
		return 0, err
	}
	return r.height(latest, h)
}

// heightUpToNext checks a requested height against the chain up to
// nextHeight (validators and consensus params are known that far); nil
// means the next height.
func (r *routes) heightUpToNext(h *int64) (int64, error) {
	next, err := r.nextHeight()
	if err != nil {
		return 0, err
	}
	return r.height(next, h)
}

// height checks a requested height against the chain, with CometBFT's
// error texts; nil means latest.
func (r *routes) height(latest int64, h *int64) (int64, error) {
	if h == nil {
		return latest, nil
	}
	if *h <= 0 {
		return 0, fmt.Errorf("height must be greater than 0, but got %d", *h)
	}
	if *h > latest {
		return 0, fmt.Errorf("height %d must be less than or equal to the current blockchain height %d", *h, latest)
	}
	if base := r.env.Blocks.Base(); *h < base {
		return 0, fmt.Errorf("height %d is not available, lowest height is %d", *h, base)
	}
	return *h, nil
}

// latestHeight is the chain's latest height as every route shows it: the
// last height the chain state has moved past. The node stores a block
// before the app executes it and the state moves, so for a moment the
// block store is one height ahead, and that block's results, the
// validators after it and the next consensus parameters do not exist yet;
// the routes show that block once they do, all at once.
func (r *routes) latestHeight() (int64, error) {
	s, ok, err := r.env.States.Load()
	if err != nil {
		return 0, fmt.Errorf("reading the chain state: %w", err)
	}
	if !ok {
		return 0, nil
	}
	return min(s.LastBlockHeight, r.env.Blocks.Height()), nil
}

// nextHeight is the height being decided, for which validators and
// consensus params are known; while the node catches up, the last
// executed height. A node under inspection decides nothing: the next
// height is as far as its state store goes.
func (r *routes) nextHeight() (int64, error) {
	h, err := r.latestHeight()
	if err != nil || r.env.Inspect || r.env.Consensus.IsCatchingUp() {
		return h, err
	}
	return h + 1, nil
}
