package sim

import (
	"crypto/sha256"
	"fmt"
	"slices"

	"github.com/bftnode/bftnode/consensus"
)

// valueInfo is what the simulated application knows about a value it
// prepared: for which height, by whom, and whether it is a valid block.
type valueInfo struct {
	height   int64
	proposer int32
	valid    bool
	txs      []int // the transaction families: the block's transactions
}

// newValue prepares a fresh, unique value for proposer at height and
// registers it as proposed. Invalid values stand for blocks a Byzantine
// proposer filled with transactions the application rejects.
func (w *world) newValue(proposer int32, height int64, valid bool) consensus.ID {
	w.valueSeq++
	id := fmt.Sprintf("%d.%d.%d", height, proposer, w.valueSeq)
	if !valid {
		id += "!"
	}
	w.values[consensus.ID(id)] = valueInfo{height: height, proposer: proposer, valid: valid}
	return consensus.ID(id)
}

// valid is the application's verdict: a value it prepared for this height
// and did not mark invalid (a block carries its height, so a value from
// another height is not a valid block here). Nil is valid only for
// protocols with null requests.
func (w *world) valid(height int64, v consensus.ID) bool {
	if v == consensus.Nil {
		return w.proto.NilDecisions
	}
	info, ok := w.values[v]
	return ok && info.valid && info.height == height
}

// block is a decided block in a node's store, with its commit.
type block struct {
	value  consensus.ID
	commit []consensus.Vote
}

// ledger is what a node keeps outside the write-ahead log and what
// survives a crash: the block store and the application's state (executed
// height and the chain of application hashes).
type ledger struct {
	blocks    map[int64]block
	top       int64
	executed  int64
	appHashes [][]byte // index h: app hash after executing h
}

func newLedger() ledger {
	return ledger{blocks: map[int64]block{}, appHashes: [][]byte{nil}}
}

// store keeps a decided block unless the height is already stored. It
// reports whether the block was new.
func (l *ledger) store(h int64, v consensus.ID, commit []consensus.Vote) bool {
	if _, ok := l.blocks[h]; ok {
		return false
	}
	l.blocks[h] = block{value: v, commit: cloneVotes(commit)}
	l.top = max(l.top, h)
	return true
}

// executeNext executes the next height if its block is stored, chaining
// the application hash: hash(previous app hash, value).
func (l *ledger) executeNext() (int64, bool) {
	h := l.executed + 1
	b, ok := l.blocks[h]
	if !ok {
		return 0, false
	}
	sum := sha256.New()
	sum.Write(l.appHashes[h-1])
	sum.Write([]byte(b.value))
	l.appHashes = append(l.appHashes, sum.Sum(nil))
	l.executed = h
	return h, true
}

func (l *ledger) appHash(h int64) []byte { return slices.Clone(l.appHashes[h]) }

// valsAt returns the validator set that decides height h: the genesis set
// with proposer priorities advanced once per height, and the powers of the
// valset family's changes (valset.go) from the heights they apply to.
func (w *world) valsAt(h int64) *consensus.ValidatorSet {
	if h < 1 {
		h = 1
	}
	for int64(len(w.valsCache)) <= h {
		next := w.valsCache[len(w.valsCache)-1].Next()
		if powers, ok := w.powerChanges[int64(len(w.valsCache))]; ok {
			next = withPowers(next, powers)
		}
		w.valsCache = append(w.valsCache, next)
	}
	return w.valsCache[h]
}
