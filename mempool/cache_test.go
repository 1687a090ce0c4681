package mempool

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// refLRU is the cache's specification: keys in push order, oldest first.
type refLRU struct {
	capacity int
	keys     []TxKey
}

func (r *refLRU) push(k TxKey) bool {
	if i := slices.Index(r.keys, k); i >= 0 {
		r.keys = append(slices.Delete(r.keys, i, i+1), k)
		return false
	}
	if len(r.keys) >= r.capacity {
		r.keys = r.keys[1:]
	}
	r.keys = append(r.keys, k)
	return true
}

func (r *refLRU) remove(k TxKey) {
	if i := slices.Index(r.keys, k); i >= 0 {
		r.keys = slices.Delete(r.keys, i, i+1)
	}
}

func TestKeyCacheIsAnLRU(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, capacity := range []int{1, 2, 7, 50} {
		c, ref := newKeyCache[TxKey](capacity), &refLRU{capacity: capacity}
		for step := 0; step < 20000; step++ {
			k := TxKey{byte(rng.IntN(3 * capacity))}
			switch op := rng.IntN(10); {
			case op < 6:
				if got, want := c.push(k), ref.push(k); got != want {
					t.Fatalf("capacity %d step %d: push %x says new=%v, want %v", capacity, step, k[0], got, want)
				}
			case op < 8:
				c.remove(k)
				ref.remove(k)
			case op < 9:
				if got, want := c.has(k), slices.Contains(ref.keys, k); got != want {
					t.Fatalf("capacity %d step %d: has %x = %v, want %v", capacity, step, k[0], got, want)
				}
			default:
				if rng.IntN(100) == 0 {
					c.reset()
					ref.keys = nil
				}
			}
			if len(c.index) != len(ref.keys) {
				t.Fatalf("capacity %d step %d: %d keys, want %d", capacity, step, len(c.index), len(ref.keys))
			}
		}
		// The order of eviction is the order of pushes.
		var order []TxKey
		for i := c.oldest; i != none; i = c.nodes[i].newer {
			order = append(order, c.nodes[i].key)
		}
		if !slices.Equal(order, ref.keys) {
			t.Fatalf("capacity %d: order %x, want %x", capacity, order, ref.keys)
		}
	}
}

func TestKeyCacheWithoutCapacityRemembersNothing(t *testing.T) {
	c := newKeyCache[TxKey](0)
	if !c.push(TxKey{1}) || !c.push(TxKey{1}) || c.has(TxKey{1}) {
		t.Fatal("a cache of size 0 remembered a key")
	}
}

func BenchmarkKeyCachePush(b *testing.B) {
	c := newKeyCache[TxKey](10000)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c.push(TxKey{byte(i), byte(i >> 8), byte(i >> 16), byte(i >> 24)})
	}
}
