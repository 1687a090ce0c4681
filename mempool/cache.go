package mempool

import (
	"container/list"
	"crypto/sha256"
)

// TxKey identifies a transaction: the SHA-256 of its bytes, as CometBFT's
// types.Tx.Key.
type TxKey [sha256.Size]byte

// KeyOf is the key of tx.
func KeyOf(tx []byte) TxKey { return sha256.Sum256(tx) }

// keyCache remembers the most recently seen keys, forgetting the least
// recently pushed one when full. Not safe for concurrent use.
type keyCache struct {
	capacity int
	order    *list.List // of TxKey, most recent at the back
	index    map[TxKey]*list.Element
}

func newKeyCache(capacity int) *keyCache {
	return &keyCache{capacity: capacity, order: list.New(), index: make(map[TxKey]*list.Element)}
}

// push records k and reports whether it was new.
func (c *keyCache) push(k TxKey) bool {
	if c.capacity <= 0 {
		return true
	}
	if e, ok := c.index[k]; ok {
		c.order.MoveToBack(e)
		return false
	}
	if c.order.Len() >= c.capacity {
		oldest := c.order.Front()
		delete(c.index, oldest.Value.(TxKey))
		c.order.Remove(oldest)
	}
	c.index[k] = c.order.PushBack(k)
	return true
}

func (c *keyCache) has(k TxKey) bool {
	_, ok := c.index[k]
	return ok
}

func (c *keyCache) remove(k TxKey) {
	if e, ok := c.index[k]; ok {
		delete(c.index, k)
		c.order.Remove(e)
	}
}

func (c *keyCache) reset() {
	c.order.Init()
	c.index = make(map[TxKey]*list.Element)
}
