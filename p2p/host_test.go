package p2p

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bftnode/bftnode/wire/wirepb"
)

var allChannels = []byte{ChannelConsensus, ChannelBlocksync, ChannelMempool}

// mesh starts n hosts, each listing all others as persistent peers.
func mesh(t *testing.T, n int) ([]*Host, []*inbox) {
	keys := testKeys(n)
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = freePort(t)
	}
	hosts, inboxes := make([]*Host, n), make([]*inbox, n)
	for i := range hosts {
		cfg := testConfig(addrs[i])
		for j := range addrs {
			if j != i {
				cfg.PersistentPeers = append(cfg.PersistentPeers, fmt.Sprintf("%s@%s", IDOf(keys[j].PubKey()), addrs[j]))
			}
		}
		h, err := New(cfg, keys[i], testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		inboxes[i] = newInbox(t, h, allChannels...)
		hosts[i] = h
	}
	for _, h := range hosts {
		if err := h.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(h.Stop)
	}
	waitFor(t, 20*time.Second, "a settled full mesh", func() bool { return settled(hosts) })
	return hosts, inboxes
}

// settled reports whether every pair of hosts is linked by one connection
// that both ends hold, and no dial or handshake is under way that could
// still replace one: from then on the mesh stays as it is.
func settled(hosts []*Host) bool {
	for _, h := range hosts {
		h.mu.Lock()
		busy := h.dialing > 0 || len(h.pending) > 0
		h.mu.Unlock()
		if busy {
			return false
		}
	}
	for _, a := range hosts {
		peers := a.Peers()
		if len(peers) != len(hosts)-1 {
			return false
		}
		for _, pa := range peers {
			var b *Host
			for _, h := range hosts {
				if h.ID() == pa.ID {
					b = h
				}
			}
			match := false
			for _, pb := range b.Peers() {
				match = match || pb.ID == a.ID() && pb.Outbound != pa.Outbound &&
					pb.RemoteAddr == pa.LocalAddr && pb.LocalAddr == pa.RemoteAddr
			}
			if !match {
				return false
			}
		}
	}
	return true
}

func TestFullMeshOfPersistentPeersCarriesEveryChannel(t *testing.T) {
	hosts, inboxes := mesh(t, 4)

	for i, a := range hosts {
		for _, pa := range a.Peers() {
			if !pa.Persistent || pa.Version != "test" || pa.ListenAddr == "" {
				t.Errorf("host %d: peer info %+v lacks hello fields", i, pa)
			}
		}
	}

	const perChannel = 50
	for i, h := range hosts {
		for _, ch := range allChannels {
			for k := 0; k < perChannel; k++ {
				msg := []byte(fmt.Sprintf("%d/%#x/%d", i, ch, k))
				if n := h.Broadcast(ch, msg); n != len(hosts)-1 {
					t.Fatalf("broadcast reached %d peers, want %d", n, len(hosts)-1)
				}
			}
		}
	}
	for i, in := range inboxes {
		for _, ch := range allChannels {
			waitFor(t, 10*time.Second, fmt.Sprintf("host %d to receive on %#x", i, ch), func() bool {
				return len(in.get(ch)) == perChannel*(len(hosts)-1)
			})
			// Per sender, messages arrive in order and intact.
			next := map[ID]int{}
			for _, r := range in.get(ch) {
				var from, k int
				var gotCh byte
				if _, err := fmt.Sscanf(r.msg, "%d/%v/%d", &from, &gotCh, &k); err != nil {
					t.Fatalf("host %d: garbled message %q: %v", i, r.msg, err)
				}
				if hosts[from].ID() != r.from || gotCh != ch || k != next[r.from] {
					t.Fatalf("host %d channel %#x: got %q from %s, expected message %d from it", i, ch, r.msg, r.from, next[r.from])
				}
				next[r.from]++
			}
		}
	}
	for i, h := range hosts {
		for _, p := range h.Peers() {
			if p.MsgsOut < 3*perChannel || p.MsgsIn < 3*perChannel || p.BytesIn == 0 || p.BytesOut == 0 {
				t.Errorf("host %d: counters of peer %s: %+v", i, p.ID, p)
			}
		}
	}
	// Send reaches exactly one peer.
	if !hosts[0].Send(hosts[3].ID(), ChannelConsensus, []byte("direct")) {
		t.Fatal("send refused")
	}
	waitFor(t, 10*time.Second, "direct message", func() bool {
		msgs := inboxes[3].get(ChannelConsensus)
		return msgs[len(msgs)-1].msg == "direct"
	})
	for _, i := range []int{1, 2} {
		for _, r := range inboxes[i].get(ChannelConsensus) {
			if r.msg == "direct" {
				t.Fatalf("host %d got a message sent to host 3", i)
			}
		}
	}
}

func TestRestartedPeerIsRedialed(t *testing.T) {
	keys := testKeys(2)
	addrB := freePort(t)
	cfgA := testConfig(freePort(t))
	cfgA.PersistentPeers = []string{fmt.Sprintf("%s@%s", IDOf(keys[1].PubKey()), addrB)}
	a, err := New(cfgA, keys[0], testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var ups, downs atomic.Int32
	a.OnPeer(func(PeerInfo) { ups.Add(1) }, func(PeerInfo) { downs.Add(1) })
	if err := a.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Stop)

	b := startHost(t, testConfig(addrB), keys[1])
	waitFor(t, 10*time.Second, "first connection", func() bool { return ups.Load() == 1 })
	b.Stop()
	waitFor(t, 10*time.Second, "disconnection", func() bool { return downs.Load() == 1 })

	b2 := startHost(t, testConfig(addrB), keys[1])
	in := newInbox(t, b2, ChannelConsensus)
	waitFor(t, 10*time.Second, "reconnection", func() bool { return ups.Load() == 2 && hasPeer(b2, a.ID()) })
	if !a.Send(b2.ID(), ChannelConsensus, []byte("welcome back")) {
		t.Fatal("send refused after reconnecting")
	}
	waitFor(t, 10*time.Second, "message after restart", func() bool { return len(in.get(ChannelConsensus)) == 1 })
	if p := a.Peers(); len(p) != 1 || !p[0].Outbound || !p[0].Persistent {
		t.Fatalf("peer info after redial: %+v", p)
	}
}

func TestWrongIDIsRefused(t *testing.T) {
	keys := testKeys(3)
	a := startHost(t, testConfig(freePort(t)), keys[0])
	b := startHost(t, testConfig(freePort(t)), keys[1])
	// Dial b's address expecting the node of keys[2].
	wrong := fmt.Sprintf("%s@%s", IDOf(keys[2].PubKey()), b.ListenAddr())
	if err := a.Dial([]string{wrong}, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the refusal", func() bool { return a.Counters().RefusedConns == 1 })
	if len(a.Peers()) != 0 || len(b.Peers()) != 0 {
		t.Fatalf("connection kept: a has %d peers, b has %d", len(a.Peers()), len(b.Peers()))
	}
}

func TestWrongChainIsRefused(t *testing.T) {
	keys := testKeys(2)
	a := startHost(t, testConfig(freePort(t)), keys[0])
	cfg := testConfig(freePort(t))
	cfg.ChainID = "another-chain"
	b := startHost(t, cfg, keys[1])
	if err := a.Dial([]string{fmt.Sprintf("%s@%s", b.ID(), b.ListenAddr())}, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "refusals on both sides", func() bool {
		return a.Counters().RefusedConns == 1 && b.Counters().RefusedConns == 1
	})
	if len(a.Peers()) != 0 || len(b.Peers()) != 0 {
		t.Fatal("a peer on another chain was kept")
	}
}

func TestAlreadyConnectedPeerIsRefused(t *testing.T) {
	keys := testKeys(2) // keys[0] has the smaller ID
	a := startHost(t, testConfig(freePort(t)), keys[0])
	b := startHost(t, testConfig(freePort(t)), keys[1])
	if err := a.Dial([]string{fmt.Sprintf("%s@%s", b.ID(), b.ListenAddr())}, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "connection", func() bool { return hasPeer(a, b.ID()) && hasPeer(b, a.ID()) })
	since := a.Peers()[0].Since

	// b dials a as well: the link a dialed wins on both sides.
	if err := b.Dial([]string{fmt.Sprintf("%s@%s", a.ID(), a.ListenAddr())}, false); err != nil {
		t.Fatal(err)
	}
	// b skips dialing a peer it is connected to, so force a second
	// connection through the internal dialer.
	b.mu.Lock()
	b.dialing++
	b.mu.Unlock()
	go func() { _, _ = b.dial(Address{ID: a.ID(), HostPort: a.ListenAddr()}) }()
	waitFor(t, 10*time.Second, "the duplicate's refusal", func() bool {
		return a.Counters().RefusedConns >= 1 && b.Counters().RefusedConns >= 1
	})
	pa, pb := a.Peers(), b.Peers()
	if len(pa) != 1 || len(pb) != 1 || !pa[0].Since.Equal(since) || !pa[0].Outbound || pb[0].Outbound {
		t.Fatalf("after a duplicate dial: a %+v, b %+v", pa, pb)
	}
}

func TestDialRefusesMalformedAddresses(t *testing.T) {
	h := startHost(t, testConfig(""), testKeys(1)[0])
	err := h.Dial([]string{"nope", "abcd@127.0.0.1:1"}, true)
	if err == nil {
		t.Fatal("malformed addresses accepted")
	}
	for _, want := range []string{`"nope"`, `"abcd"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestDifferentProtocolScheduleIsRefused(t *testing.T) {
	keys := testKeys(2)
	acfg := testConfig(freePort(t))
	acfg.Schedule = "tendermint,pbft@100"
	a := startHost(t, acfg, keys[0])
	bcfg := testConfig(freePort(t))
	bcfg.Schedule = "tendermint,pbft@200"
	b := startHost(t, bcfg, keys[1])
	if err := a.Dial([]string{fmt.Sprintf("%s@%s", b.ID(), b.ListenAddr())}, false); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "refusals on both sides", func() bool {
		return a.Counters().RefusedConns == 1 && b.Counters().RefusedConns == 1
	})
	if len(a.Peers()) != 0 || len(b.Peers()) != 0 {
		t.Fatal("a peer on another protocol schedule was kept")
	}
	// The refusal names both schedules and what to set.
	err := checkHello(&wirepb.Hello{NodeID: "x", ChainID: "c", Schedule: bcfg.Schedule}, "x", &wirepb.Hello{ChainID: "c", Schedule: acfg.Schedule})
	for _, want := range []string{bcfg.Schedule, acfg.Schedule, "switch_height"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %v does not name %q", err, want)
		}
	}
}
