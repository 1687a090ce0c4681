package p2p

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"sort"
	"sync"
	"time"
)

// Address book limits.
const (
	// maxBookSize bounds the addresses kept; a full book evicts its worst
	// entry (never connected, most failed dials) for a new one.
	maxBookSize = 1000
	// maxDialFailures is how many dials in a row may fail before an
	// address is forgotten.
	maxDialFailures = 10
	// dialBackoffBase is the wait after the first failed dial of an
	// address; it doubles with each further failure up to dialBackoffMax.
	dialBackoffBase = 2 * time.Second
	dialBackoffMax  = 10 * time.Minute
)

var errBookFull = errors.New("the address book is full of addresses that worked")

// addrBook is the addresses of the network's nodes a node knows: from its
// peers' hellos, from PEX answers and from the file of the last run. It
// picks whom to dial, and samples what to tell a peer that asks.
type addrBook struct {
	self   ID
	strict bool // keep only addresses routable across the internet

	mu      sync.Mutex
	entries map[ID]*bookEntry
	dirty   bool // changed since the last save
}

// bookEntry is one known address and how dialing it went.
type bookEntry struct {
	id          ID
	addr        netip.AddrPort
	src         ID // the peer that told us of it (self for our own knowledge)
	attempts    int
	lastAttempt time.Time
	lastSuccess time.Time
}

func (e *bookEntry) address() Address { return Address{ID: e.id, HostPort: e.addr.String()} }

// dialableAt is when the entry may be dialed again: at once until a dial
// failed, then after a backoff that doubles per failure.
func (e *bookEntry) dialableAt() time.Time {
	if e.attempts == 0 {
		return time.Time{}
	}
	d := dialBackoffBase
	for i := 1; i < e.attempts && d < dialBackoffMax; i++ {
		d *= 2
	}
	return e.lastAttempt.Add(min(d, dialBackoffMax))
}

func newAddrBook(self ID, strict bool) *addrBook {
	return &addrBook{self: self, strict: strict, entries: map[ID]*bookEntry{}}
}

// add records that node id listens at ip:port, as src told. It returns why
// the address was not kept (unroutable, the node's own, a bad ID); an
// address already known is left as it is unless dialing it keeps failing
// and the new one differs.
func (b *addrBook) add(id ID, ip string, port uint32, src ID) (added bool, err error) {
	if err := id.validate(); err != nil {
		return false, err
	}
	if id == b.self {
		return false, errors.New("the address is this node's own")
	}
	ap, err := gossipAddress(ip, port, b.strict)
	if err != nil {
		return false, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if old := b.entries[id]; old != nil {
		if old.addr == ap || old.attempts == 0 || !old.lastSuccess.IsZero() {
			return false, nil
		}
		// A node that moved: the old address fails, the new one may not.
		old.addr, old.src, old.attempts = ap, src, 0
		b.dirty = true
		return true, nil
	}
	if len(b.entries) >= maxBookSize && !b.evictLocked() {
		return false, errBookFull
	}
	b.entries[id] = &bookEntry{id: id, addr: ap, src: src}
	b.dirty = true
	return true, nil
}

// evictLocked makes room by dropping the entry that never connected and
// failed most; it reports false when every entry has connected before.
func (b *addrBook) evictLocked() bool {
	var worst *bookEntry
	for _, e := range b.entries {
		if !e.lastSuccess.IsZero() {
			continue
		}
		if worst == nil || e.attempts > worst.attempts || (e.attempts == worst.attempts && e.id < worst.id) {
			worst = e
		}
	}
	if worst == nil {
		return false
	}
	delete(b.entries, worst.id)
	return true
}

// attempted records a dial of id starting now.
func (b *addrBook) attempted(id ID, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.entries[id]; e != nil {
		e.attempts++
		e.lastAttempt = now
		b.dirty = true
	}
}

// connected records that the node id answered at addr (an outbound
// connection): the address works, and is added if it was not known.
func (b *addrBook) connected(id ID, hostPort string, now time.Time) {
	if e := b.get(id); e == nil || e.addr.String() != hostPort {
		if ip, port, err := splitGossip(hostPort); err == nil {
			b.forget(id)
			_, _ = b.add(id, ip, port, b.self)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.entries[id]; e != nil {
		e.attempts, e.lastSuccess = 0, now
		b.dirty = true
	}
}

// failed records that a dial of id failed, and forgets the address after
// maxDialFailures failures in a row.
func (b *addrBook) failed(id ID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.entries[id]; e != nil && e.attempts >= maxDialFailures {
		delete(b.entries, id)
		b.dirty = true
	}
}

// forget drops id's address: the node there is another one, or on
// another chain.
func (b *addrBook) forget(id ID) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.entries[id]; ok {
		delete(b.entries, id)
		b.dirty = true
	}
}

func (b *addrBook) get(id ID) *bookEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.entries[id]; e != nil {
		c := *e
		return &c
	}
	return nil
}

func (b *addrBook) size() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.entries)
}

// toDial picks up to n addresses to dial now, skipping those skip names
// and those still backing off: first ones that connected before, then the
// others, each group in random order so that nodes with the same book do
// not all dial the same peers.
func (b *addrBook) toDial(n int, now time.Time, skip func(ID) bool) []Address {
	if n <= 0 {
		return nil
	}
	b.mu.Lock()
	var worked, untried []*bookEntry
	for _, e := range b.entries {
		if skip(e.id) || now.Before(e.dialableAt()) {
			continue
		}
		if e.lastSuccess.IsZero() {
			untried = append(untried, e)
		} else {
			worked = append(worked, e)
		}
	}
	out := make([]Address, 0, n)
	for _, group := range [][]*bookEntry{worked, untried} {
		sortByID(group)
		rand.Shuffle(len(group), func(i, j int) { group[i], group[j] = group[j], group[i] })
		for _, e := range group {
			if len(out) == n {
				break
			}
			out = append(out, e.address())
		}
	}
	b.mu.Unlock()
	return out
}

// sample picks up to n random addresses to tell a peer, leaving out the
// peer's own and those that keep failing.
func (b *addrBook) sample(n int, exclude ID) []*bookEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	all := make([]*bookEntry, 0, len(b.entries))
	for _, e := range b.entries {
		if e.id != exclude && e.attempts < maxDialFailures/2 {
			c := *e
			all = append(all, &c)
		}
	}
	sortByID(all)
	rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	return all[:min(n, len(all))]
}

func sortByID(es []*bookEntry) {
	sort.Slice(es, func(i, j int) bool { return es[i].id < es[j].id })
}

// String describes the book for logs.
func (b *addrBook) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	worked := 0
	for _, e := range b.entries {
		if !e.lastSuccess.IsZero() {
			worked++
		}
	}
	return fmt.Sprintf("%d addresses (%d connected before)", len(b.entries), worked)
}
