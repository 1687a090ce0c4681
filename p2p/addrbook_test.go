package p2p

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testID(i int) ID { return ID(fmt.Sprintf("%040x", i+1)) }

func TestAddrBookKeepsOnlyDialableAddresses(t *testing.T) {
	self := testID(0)
	cases := []struct {
		name   string
		id     ID
		ip     string
		port   uint32
		strict bool
		keep   bool
	}{
		{"public IPv4", testID(1), "8.8.8.8", 26656, true, true},
		{"public IPv6", testID(1), "2606:4700::1111", 26656, true, true},
		{"loopback, strict", testID(1), "127.0.0.1", 26656, true, false},
		{"loopback, not strict", testID(1), "127.0.0.1", 26656, false, true},
		{"private, strict", testID(1), "10.1.2.3", 26656, true, false},
		{"private, not strict", testID(1), "192.168.1.2", 26656, false, true},
		{"carrier NAT, strict", testID(1), "100.64.1.1", 26656, true, false},
		{"documentation, strict", testID(1), "203.0.113.9", 26656, true, false},
		{"unspecified", testID(1), "0.0.0.0", 26656, false, false},
		{"multicast", testID(1), "224.0.0.1", 26656, false, false},
		{"broadcast", testID(1), "255.255.255.255", 26656, false, false},
		{"port 0", testID(1), "8.8.8.8", 0, false, false},
		{"port too large", testID(1), "8.8.8.8", 70000, false, false},
		{"a name, not an IP", testID(1), "example.com", 26656, false, false},
		{"empty IP", testID(1), "", 26656, false, false},
		{"zone", testID(1), "fe80::1%eth0", 26656, false, false},
		{"its own ID", self, "8.8.8.8", 26656, false, false},
		{"bad ID", ID("xyz"), "8.8.8.8", 26656, false, false},
		{"upper-case ID", ID(strings.ToUpper(string(testID(0xabc)))), "8.8.8.8", 26656, false, false},
	}
	for _, c := range cases {
		b := newAddrBook(self, c.strict)
		added, err := b.add(c.id, c.ip, c.port, testID(9))
		if added != c.keep || (err == nil) != c.keep || (b.size() == 1) != c.keep {
			t.Errorf("%s: added %v, err %v, size %d; want kept %v", c.name, added, err, b.size(), c.keep)
		}
	}
}

func TestAddrBookDialsWithBackoffAndForgetsDeadAddresses(t *testing.T) {
	b := newAddrBook(testID(0), false)
	if _, err := b.add(testID(1), "127.0.0.1", 1001, testID(0)); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_000_000, 0)
	none := func(ID) bool { return false }
	if got := b.toDial(5, now, none); len(got) != 1 || got[0].String() != string(testID(1))+"@127.0.0.1:1001" {
		t.Fatalf("toDial = %v, want the one address", got)
	}
	b.attempted(testID(1), now)
	if got := b.toDial(5, now.Add(dialBackoffBase/2), none); len(got) != 0 {
		t.Errorf("dialed again %v after a failure, before the backoff ended", got)
	}
	if got := b.toDial(5, now.Add(dialBackoffBase), none); len(got) != 1 {
		t.Errorf("not dialed again once the backoff ended: %v", got)
	}
	b.connected(testID(1), "127.0.0.1:1001", now)
	if e := b.get(testID(1)); e.attempts != 0 || e.lastSuccess != now {
		t.Errorf("after connecting: attempts %d, last success %v", e.attempts, e.lastSuccess)
	}
	for i := 0; i < maxDialFailures; i++ {
		b.attempted(testID(1), now)
		b.failed(testID(1))
	}
	if b.size() != 0 {
		t.Errorf("an address whose dials failed %d times in a row is still kept", maxDialFailures)
	}
	// A node that moved: the new address replaces one that keeps failing.
	_, _ = b.add(testID(2), "127.0.0.1", 2001, testID(0))
	b.attempted(testID(2), now)
	if added, _ := b.add(testID(2), "127.0.0.1", 2002, testID(3)); !added || b.get(testID(2)).addr.String() != "127.0.0.1:2002" {
		t.Errorf("a failing address was not replaced by the node's new one")
	}
	if added, _ := b.add(testID(2), "127.0.0.1", 2003, testID(3)); added {
		t.Errorf("an address not yet tried was replaced by another")
	}
}

func TestAddrBookStaysBoundedAndKeepsWorkingAddresses(t *testing.T) {
	b := newAddrBook(testID(0), false)
	now := time.Unix(1_000_000, 0)
	for i := 1; i <= maxBookSize; i++ {
		if _, err := b.add(testID(i), "10.0.0.1", uint32(i), testID(0)); err != nil {
			t.Fatal(err)
		}
		b.connected(testID(i), fmt.Sprintf("10.0.0.1:%d", i), now)
	}
	if added, err := b.add(testID(maxBookSize+1), "10.0.0.2", 1, testID(0)); added || err == nil {
		t.Errorf("a book full of working addresses took a new one (err %v)", err)
	}
	b.forget(testID(1))
	_, _ = b.add(testID(1), "10.0.0.3", 1, testID(0)) // never connected
	if added, err := b.add(testID(maxBookSize+2), "10.0.0.4", 1, testID(0)); !added || err != nil || b.get(testID(1)) != nil {
		t.Errorf("the entry that never connected was not evicted for a new one: added %v, err %v", added, err)
	}
	if b.size() != maxBookSize {
		t.Errorf("book holds %d addresses, want at most %d", b.size(), maxBookSize)
	}
}

func TestAddrBookFileIsReloadedAndBadEntriesLeftOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config", "addrbook.json")
	b := newAddrBook(testID(0), false)
	now := time.Unix(1_700_000_000, 0).UTC()
	for i := 1; i <= 3; i++ {
		if _, err := b.add(testID(i), "127.0.0.1", uint32(1000+i), testID(0)); err != nil {
			t.Fatal(err)
		}
	}
	b.connected(testID(2), "127.0.0.1:1002", now)
	b.attempted(testID(3), now)
	if err := b.save(path); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(path + ".tmp-*"); len(left) != 0 {
		t.Errorf("temporary files left beside the book: %v", left)
	}
	again := newAddrBook(testID(0), false)
	if loaded, skipped, err := again.load(path); loaded != 3 || skipped != 0 || err != nil {
		t.Fatalf("reload: %d loaded, %d skipped, %v", loaded, skipped, err)
	}
	if e := again.get(testID(2)); e == nil || !e.lastSuccess.Equal(now) || e.addr.String() != "127.0.0.1:1002" {
		t.Errorf("entry 2 after reload: %+v", e)
	}
	if e := again.get(testID(3)); e == nil || e.attempts != 1 {
		t.Errorf("entry 3 after reload: %+v", e)
	}

	// A file with bad entries: they are left out, the rest is kept.
	var file bookFile
	raw, _ := os.ReadFile(path)
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	file.Addrs = append(file.Addrs,
		bookFileEntry{Addr: bookFileAddr{ID: "not-an-id", IP: "127.0.0.1", Port: 1}},
		bookFileEntry{Addr: bookFileAddr{ID: testID(5), IP: "no.such.ip", Port: 1}},
		bookFileEntry{Addr: bookFileAddr{ID: testID(6), IP: "127.0.0.1", Port: 0}},
		bookFileEntry{Addr: bookFileAddr{ID: testID(0), IP: "127.0.0.1", Port: 7}},
		bookFileEntry{Addr: bookFileAddr{ID: testID(7), IP: "127.0.0.1", Port: 7}, Attempts: -1})
	raw, _ = json.Marshal(file)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if loaded, skipped, err := newAddrBook(testID(0), false).load(path); loaded != 3 || skipped != 5 || err != nil {
		t.Errorf("bad entries: %d loaded, %d skipped, %v; want 3, 5", loaded, skipped, err)
	}
	// Strict: the loopback addresses are no longer acceptable.
	if loaded, skipped, err := newAddrBook(testID(0), true).load(path); loaded != 0 || skipped != 8 || err != nil {
		t.Errorf("strict: %d loaded, %d skipped, %v; want 0, 8", loaded, skipped, err)
	}
	// Not a book at all, or none.
	if err := os.WriteFile(path, []byte("{\"addrs\": [1, 2"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := newAddrBook(testID(0), false).load(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("a truncated file: %v; want an error naming it", err)
	}
	if loaded, _, err := newAddrBook(testID(0), false).load(path + ".none"); loaded != 0 || err != nil {
		t.Errorf("a missing file: %d loaded, %v; want an empty book", loaded, err)
	}
}
