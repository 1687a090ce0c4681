package p2p

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	tmp2p "github.com/cometbft/cometbft/proto/tendermint/p2p"
)

// pexConfig is a PEX node on loopback with short intervals.
func pexConfig(listen string) Config {
	c := testConfig(listen)
	c.PEX = true
	c.AddrBookStrict = false
	c.PEXInterval = 300 * time.Millisecond
	c.PEXRequestInterval = 100 * time.Millisecond
	return c
}

// nonSeedPeers counts h's peers other than seed.
func nonSeedPeers(h *Host, seed ID) int {
	n := 0
	for _, p := range h.Peers() {
		if p.ID != seed {
			n++
		}
	}
	return n
}

// TestNodesThatKnowOnlyASeedFindEachOther: six nodes whose only address is
// a seed's end up connected to every other node; the seed answers and
// hangs up, so it keeps no peer for long.
func TestNodesThatKnowOnlyASeedFindEachOther(t *testing.T) {
	const n = 6
	keys := testKeys(n + 1)
	seedCfg := pexConfig(freePort(t))
	seedCfg.SeedMode = true
	seed := startHost(t, seedCfg, keys[n])
	seedAddr := string(seed.ID()) + "@" + seed.ListenAddr()
	hosts := make([]*Host, n)
	for i := range hosts {
		cfg := pexConfig(freePort(t))
		cfg.Seeds = []string{seedAddr}
		hosts[i] = startHost(t, cfg, keys[i])
	}
	waitFor(t, 30*time.Second, "every node to reach every other", func() bool {
		for _, h := range hosts {
			if nonSeedPeers(h, seed.ID()) < n-1 {
				return false
			}
		}
		return true
	})
	waitFor(t, 10*time.Second, "the seed to hang up on everyone", func() bool { return len(seed.Peers()) == 0 })
	for i, h := range hosts {
		if c := h.Counters(); c.PEXDropped != 0 || c.Penalties != 0 {
			t.Errorf("node %d counted %d dropped PEX messages and %d penalties among honest nodes", i, c.PEXDropped, c.Penalties)
		}
	}
}

// TestOutboundPeersAreDialedFromTheBookUpToTheLimit: a node whose book
// holds five reachable nodes dials two of them when two is its limit, and
// no more, however many rounds pass.
func TestOutboundPeersAreDialedFromTheBookUpToTheLimit(t *testing.T) {
	keys := testKeys(6)
	var others []*Host
	for i := 1; i < 6; i++ {
		others = append(others, startHost(t, pexConfig(freePort(t)), keys[i]))
	}
	cfg := pexConfig(freePort(t))
	cfg.MaxOutboundPeers = 2
	cfg.AddrBookPath = filepath.Join(t.TempDir(), "addrbook.json")
	book := newAddrBook(IDOf(keys[0].PubKey()), false)
	for _, o := range others {
		ip, port, err := splitGossip(o.ListenAddr())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := book.add(o.ID(), ip, port, o.ID()); err != nil {
			t.Fatal(err)
		}
	}
	if err := book.save(cfg.AddrBookPath); err != nil {
		t.Fatal(err)
	}
	h := startHost(t, cfg, keys[0])
	outbound := func() int {
		n := 0
		for _, p := range h.Peers() {
			if p.Outbound {
				n++
			}
		}
		return n
	}
	waitFor(t, 10*time.Second, "two outbound peers", func() bool { return outbound() == 2 })
	for end := time.Now().Add(5 * cfg.PEXInterval); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if n := outbound(); n > 2 {
			t.Fatalf("%d outbound peers; the limit is 2", n)
		}
	}
}

// TestExtraInboundPeerIsRefusedPolitely: a node with room for one inbound
// peer refuses a second, and tells it where else to go: the refused node
// learns the first one's address and connects to it.
func TestExtraInboundPeerIsRefusedPolitely(t *testing.T) {
	keys := testKeys(3)
	fullCfg := pexConfig(freePort(t))
	fullCfg.MaxInboundPeers = 1
	full := startHost(t, fullCfg, keys[0])
	fullAddr := string(full.ID()) + "@" + full.ListenAddr()
	first := startHost(t, pexConfig(freePort(t)), keys[1])
	if err := first.Dial([]string{fullAddr}, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the first inbound peer", func() bool { return hasPeer(full, first.ID()) })
	waitFor(t, 10*time.Second, "the full node to learn the first's address", func() bool { return full.book.get(first.ID()) != nil })

	second := startHost(t, pexConfig(freePort(t)), keys[2])
	if err := second.Dial([]string{fullAddr}, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the refused node to reach the first", func() bool { return hasPeer(second, first.ID()) })
	if hasPeer(full, second.ID()) {
		t.Error("a node with room for one inbound peer took a second")
	}
	if full.Counters().RefusedConns == 0 {
		t.Error("the refusal was not counted")
	}
}

// TestBadPEXMessagesAreDroppedAndCounted: answers nobody asked for,
// answers with too many addresses, a third request within the interval
// and addresses that cannot be dialed are dropped and counted; a message
// that does not decode costs its sender a penalty; the node keeps running.
func TestBadPEXMessagesAreDroppedAndCounted(t *testing.T) {
	keys := testKeys(2)
	cfg := pexConfig(freePort(t))
	cfg.PEXRequestInterval = time.Hour // the node asks once, answers twice
	victim := startHost(t, cfg, keys[0])
	attacker := startHost(t, testConfig(freePort(t)), keys[1])
	got := newInbox(t, attacker, ChannelPEX)
	if err := attacker.Dial([]string{string(victim.ID()) + "@" + victim.ListenAddr()}, false); err != nil {
		t.Fatal(err)
	}
	kinds := func() (requests, answers int) {
		for _, r := range got.get(ChannelPEX) {
			var m tmp2p.Message
			if err := m.Unmarshal([]byte(r.msg)); err != nil {
				t.Fatal(err)
			}
			if m.GetPexRequest() != nil {
				requests++
			} else {
				answers++
			}
		}
		return requests, answers
	}
	waitFor(t, 10*time.Second, "the node to ask its new peer", func() bool { r, _ := kinds(); return r == 1 })
	send := func(m tmp2p.Message) {
		b, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !attacker.Send(victim.ID(), ChannelPEX, b) {
			t.Fatal("send failed")
		}
	}
	addrs := func(n int, ip string) tmp2p.Message {
		list := make([]tmp2p.NetAddress, n)
		for i := range list {
			list[i] = tmp2p.NetAddress{ID: string(testID(100 + i)), IP: ip, Port: uint32(1000 + i)}
		}
		return tmp2p.Message{Sum: &tmp2p.Message_PexAddrs{PexAddrs: &tmp2p.PexAddrs{Addrs: list}}}
	}
	request := tmp2p.Message{Sum: &tmp2p.Message_PexRequest{PexRequest: &tmp2p.PexRequest{}}}
	dropped := func(n uint64) func() bool { return func() bool { return victim.Counters().PEXDropped == n } }

	send(addrs(maxPEXAddrs+1, "127.0.0.1")) // the answer, but too long
	waitFor(t, 10*time.Second, "the long answer to be dropped", dropped(1))
	send(addrs(3, "127.0.0.1")) // no longer asked for
	waitFor(t, 10*time.Second, "the unasked answer to be dropped", dropped(2))
	for i := 0; i <= maxPEXAddrs; i++ {
		if victim.book.get(testID(100+i)) != nil {
			t.Fatalf("the book took address %d of a dropped answer", i)
		}
	}
	send(request)
	send(request)
	send(request) // a third within the interval
	waitFor(t, 10*time.Second, "two answers and a drop", func() bool { _, a := kinds(); return a == 2 && dropped(3)() })

	// Asked again: bad addresses are left out one by one.
	victim.pex.mu.Lock()
	victim.pex.awaiting[attacker.ID()] = 1
	victim.pex.mu.Unlock()
	mixed := addrs(3, "127.0.0.1")
	mixed.GetPexAddrs().Addrs[1].IP = "0.0.0.0"
	mixed.GetPexAddrs().Addrs[2].ID = "bad"
	send(mixed)
	waitFor(t, 10*time.Second, "two addresses rejected", func() bool { return victim.Counters().AddrsRejected == 2 })
	if victim.book.get(testID(100)) == nil {
		t.Error("the good address of the answer was not kept")
	}

	if !attacker.Send(victim.ID(), ChannelPEX, []byte{0xff, 0xff, 0xff}) {
		t.Fatal("send failed")
	}
	waitFor(t, 10*time.Second, "the malformed message to cost a penalty", func() bool {
		return victim.Counters().Penalties == 1 && victim.Counters().PEXDropped == 4
	})
}

// TestRestartedNodeDialsTheAddressBook: a node that found its peers
// through a seed saves its book when it stops; restarted with the seed
// gone, it reconnects from the reloaded book alone.
func TestRestartedNodeDialsTheAddressBook(t *testing.T) {
	keys := testKeys(4)
	seedCfg := pexConfig(freePort(t))
	seedCfg.SeedMode = true
	seed := startHost(t, seedCfg, keys[3])
	seedAddr := string(seed.ID()) + "@" + seed.ListenAddr()
	a := startHost(t, pexConfig(freePort(t)), keys[1])
	b := startHost(t, pexConfig(freePort(t)), keys[2])
	for _, h := range []*Host{a, b} {
		if err := h.Dial([]string{seedAddr}, false); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 10*time.Second, "the seed to learn both", func() bool {
		return seed.book.get(a.ID()) != nil && seed.book.get(b.ID()) != nil
	})
	path := filepath.Join(t.TempDir(), "config", "addrbook.json")
	cfg := pexConfig(freePort(t))
	cfg.Seeds, cfg.AddrBookPath = []string{seedAddr}, path
	node := startHost(t, cfg, keys[0])
	waitFor(t, 10*time.Second, "the node to find both", func() bool { return hasPeer(node, a.ID()) && hasPeer(node, b.ID()) })
	node.Stop()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no address book after stopping: %v", err)
	}
	seed.Stop()
	cfg.Seeds = nil
	again := startHost(t, cfg, keys[0])
	waitFor(t, 10*time.Second, "the restarted node to reconnect from its book", func() bool {
		return hasPeer(again, a.ID()) && hasPeer(again, b.ID())
	})
}
