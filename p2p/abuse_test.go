package p2p

import (
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/bftnode/bftnode/wire/wirepb"
)

// rawPeer connects to h as the node of key and completes the handshake,
// leaving the connection to the test: it can misbehave or stop reading.
func rawPeer(t *testing.T, h *Host, key *NodeKey, edit func(*wirepb.Hello)) (*secureConn, error) {
	t.Helper()
	raw, err := net.Dial("tcp", h.ListenAddr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	hello := &wirepb.Hello{NodeID: string(IDOf(key.PubKey())), ChainID: testChain, Version: "raw"}
	if edit != nil {
		edit(hello)
	}
	c, _, err := handshake(raw, key, hello, h.ID(), 5*time.Second)
	return c, err
}

// waitClosed reads from c until the host closes the connection.
func waitClosed(t *testing.T, c *secureConn) {
	t.Helper()
	_ = c.raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1024)
	for {
		if _, err := c.r.Read(buf); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("host did not close the connection")
			}
			return
		}
	}
}

func TestMalformedFramesDisconnectAndPenalize(t *testing.T) {
	keys := testKeys(2)
	cfg := testConfig(freePort(t))
	cfg.BanAfter = 100
	h := startHost(t, cfg, keys[0])
	limit, _ := h.channelLimit(ChannelConsensus)
	cases := map[string]func(c *secureConn) error{
		"oversized consensus frame": func(c *secureConn) error {
			_, err := c.w.Write(appendFrameHeader(nil, ChannelConsensus, limit+1))
			return err
		},
		"oversized mempool frame": func(c *secureConn) error {
			mempoolLimit, _ := h.channelLimit(ChannelMempool)
			_, err := c.w.Write(appendFrameHeader(nil, ChannelMempool, mempoolLimit+1))
			return err
		},
		"unknown channel": func(c *secureConn) error { return writeFrame(c.w, 0x55, []byte("hi")) },
		"length overflows": func(c *secureConn) error {
			_, err := c.w.Write(append([]byte{ChannelConsensus}, bytes.Repeat([]byte{0xff}, 10)...))
			return err
		},
		"payload on the control channel": func(c *secureConn) error { return writeFrame(c.w, controlChannel, []byte("again")) },
	}
	penalties := uint64(0)
	for name, misbehave := range cases {
		c, err := rawPeer(t, h, keys[1], nil)
		if err != nil {
			t.Fatalf("%s: handshake: %v", name, err)
		}
		waitFor(t, 10*time.Second, name+": registration", func() bool { return hasPeer(h, IDOf(keys[1].PubKey())) })
		if err := misbehave(c); err != nil {
			t.Fatal(err)
		}
		if err := c.flush(); err != nil {
			t.Fatal(err)
		}
		waitClosed(t, c)
		penalties++
		waitFor(t, 10*time.Second, name+": penalty", func() bool { return h.Counters().Penalties == penalties })
		waitFor(t, 10*time.Second, name+": disconnection", func() bool { return !hasPeer(h, IDOf(keys[1].PubKey())) })
	}
}

func TestAFrameWithinTheLimitIsDelivered(t *testing.T) {
	keys := testKeys(2)
	h := startHost(t, testConfig(freePort(t)), keys[0])
	in := newInbox(t, h, ChannelConsensus)
	c, err := rawPeer(t, h, keys[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	limit, _ := h.channelLimit(ChannelConsensus)
	big := bytes.Repeat([]byte{7}, limit)
	if err := writeFrame(c.w, ChannelConsensus, big); err != nil {
		t.Fatal(err)
	}
	if err := c.flush(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the largest allowed message", func() bool { return len(in.get(ChannelConsensus)) == 1 })
	if got := in.get(ChannelConsensus)[0].msg; got != string(big) || h.Counters().Penalties != 0 {
		t.Fatalf("got %d bytes, penalties %d", len(got), h.Counters().Penalties)
	}
}

func TestHelloThatLiesAboutTheIDIsRefused(t *testing.T) {
	keys := testKeys(3)
	h := startHost(t, testConfig(freePort(t)), keys[0])
	c, err := rawPeer(t, h, keys[1], func(hello *wirepb.Hello) { hello.NodeID = string(IDOf(keys[2].PubKey())) })
	if err != nil {
		t.Fatal(err) // our side does not check its own hello
	}
	waitClosed(t, c)
	waitFor(t, 10*time.Second, "the refusal", func() bool { return h.Counters().RefusedConns == 1 })
	if len(h.Peers()) != 0 {
		t.Fatal("peer with a lying hello kept")
	}
}

func TestRepeatedOffencesBanForAWhile(t *testing.T) {
	keys := testKeys(2)
	cfgA := testConfig(freePort(t))
	cfgA.BanAfter, cfgA.BanDuration = 2, 700*time.Millisecond
	a := startHost(t, cfgA, keys[0])
	cfgB := testConfig(freePort(t))
	cfgB.PersistentPeers = []string{fmt.Sprintf("%s@%s", a.ID(), a.ListenAddr())}
	b := startHost(t, cfgB, keys[1])

	waitFor(t, 10*time.Second, "connection", func() bool { return hasPeer(a, b.ID()) })
	a.Penalize(b.ID(), "first offence")
	// One offence disconnects but does not ban: b's redial is accepted.
	waitFor(t, 10*time.Second, "reconnection after one offence", func() bool {
		return hasPeer(a, b.ID()) && a.Counters().Penalties == 1
	})
	if a.Counters().Bans != 0 {
		t.Fatal("banned after one offence")
	}
	refusedBefore := a.Counters().RefusedConns
	a.Penalize(b.ID(), "second offence")
	if a.Counters().Bans != 1 || a.bannedUntil(b.ID()).IsZero() {
		t.Fatalf("not banned after %d offences: %+v", cfgA.BanAfter, a.Counters())
	}
	// While banned, b keeps redialing and a keeps refusing.
	waitFor(t, 10*time.Second, "refusals during the ban", func() bool { return a.Counters().RefusedConns > refusedBefore })
	if hasPeer(a, b.ID()) && !a.bannedUntil(b.ID()).IsZero() {
		t.Fatal("banned peer connected")
	}
	// Once the ban ends, b gets back in.
	waitFor(t, 10*time.Second, "reconnection after the ban", func() bool { return hasPeer(a, b.ID()) })
}

func TestInboundPeersAreCappedButPersistentOnesGetIn(t *testing.T) {
	keys := testKeys(4)
	cfg := testConfig(freePort(t))
	cfg.MaxInboundPeers = 1
	cfg.PersistentPeers = []string{fmt.Sprintf("%s@%s", IDOf(keys[3].PubKey()), freePort(t))}
	h := startHost(t, cfg, keys[0])

	if _, err := rawPeer(t, h, keys[1], nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the first inbound peer", func() bool { return hasPeer(h, IDOf(keys[1].PubKey())) })
	c, err := rawPeer(t, h, keys[2], nil)
	if err != nil {
		t.Fatal(err)
	}
	waitClosed(t, c)
	if hasPeer(h, IDOf(keys[2].PubKey())) || h.Counters().RefusedConns != 1 {
		t.Fatalf("second inbound peer: peers %v, counters %+v", h.Peers(), h.Counters())
	}
	if _, err := rawPeer(t, h, keys[3], nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the persistent peer beyond the cap", func() bool { return hasPeer(h, IDOf(keys[3].PubKey())) })
}
