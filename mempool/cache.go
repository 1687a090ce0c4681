package mempool

import (
	"crypto/sha256"
)

// TxKey identifies a transaction: the SHA-256 of its bytes, as CometBFT's
// types.Tx.Key.
type TxKey [sha256.Size]byte

// KeyOf is the key of tx.
func KeyOf(tx []byte) TxKey { return sha256.Sum256(tx) }

// keyCache remembers the most recently seen keys, forgetting the least
// recently pushed one when full. Not safe for concurrent use.
//
// Its entries live in one slice linked by index, reused as keys come and
// go, so that a push (one per transaction admitted, committed or gossiped)
// allocates nothing once the cache has filled.
type keyCache[K comparable] struct {
	capacity int
	index    map[K]int32
	nodes    []cacheNode[K]
	free     int32 // first unused node, or none
	oldest   int32 // least recently pushed, or none
	newest   int32 // most recently pushed, or none
}

type cacheNode[K comparable] struct {
	key          K
	older, newer int32 // neighbours in push order, or none
	nextFree     int32
}

const none = -1

func newKeyCache[K comparable](capacity int) *keyCache[K] {
	c := &keyCache[K]{capacity: capacity}
	c.reset()
	return c
}

// push records k and reports whether it was new.
func (c *keyCache[K]) push(k K) bool {
	if c.capacity <= 0 {
		return true
	}
	if i, ok := c.index[k]; ok {
		c.unlink(i)
		c.linkNewest(i)
		return false
	}
	if len(c.index) >= c.capacity {
		c.remove(c.nodes[c.oldest].key)
	}
	i := c.alloc()
	c.nodes[i].key = k
	c.linkNewest(i)
	c.index[k] = i
	return true
}

func (c *keyCache[K]) has(k K) bool {
	_, ok := c.index[k]
	return ok
}

func (c *keyCache[K]) remove(k K) {
	i, ok := c.index[k]
	if !ok {
		return
	}
	delete(c.index, k)
	c.unlink(i)
	c.nodes[i].nextFree = c.free
	c.free = i
}

func (c *keyCache[K]) reset() {
	c.index = make(map[K]int32)
	c.nodes = c.nodes[:0]
	c.free, c.oldest, c.newest = none, none, none
}

// alloc returns an unused node, reusing a freed one first.
func (c *keyCache[K]) alloc() int32 {
	if c.free != none {
		i := c.free
		c.free = c.nodes[i].nextFree
		return i
	}
	c.nodes = append(c.nodes, cacheNode[K]{})
	return int32(len(c.nodes) - 1)
}

func (c *keyCache[K]) unlink(i int32) {
	n := &c.nodes[i]
	if n.older != none {
		c.nodes[n.older].newer = n.newer
	} else {
		c.oldest = n.newer
	}
	if n.newer != none {
		c.nodes[n.newer].older = n.older
	} else {
		c.newest = n.older
	}
	n.older, n.newer = none, none
}

func (c *keyCache[K]) linkNewest(i int32) {
	n := &c.nodes[i]
	n.older, n.newer = c.newest, none
	if c.newest != none {
		c.nodes[c.newest].newer = i
	} else {
		c.oldest = i
	}
	c.newest = i
}
