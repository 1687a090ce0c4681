package p2p

import (
	"net"
	"sync/atomic"
	"testing"
	"time"
)

func TestStopClosesEverythingAndLeaksNoGoroutines(t *testing.T) {
	checkNoLeaks(t) // nothing left over from earlier tests
	hosts, inboxes := mesh(t, 3)
	for _, h := range hosts {
		h.Broadcast(ChannelConsensus, []byte("hello"))
	}
	for _, in := range inboxes {
		waitFor(t, 10*time.Second, "messages", func() bool { return len(in.get(ChannelConsensus)) == 2 })
	}
	// A connection stuck before its handshake, and a persistent peer that
	// does not exist, must not hold Stop up either.
	stuck, err := net.Dial("tcp", hosts[0].ListenAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	if err := hosts[1].Dial([]string{"0123456789abcdef0123456789abcdef01234567@127.0.0.1:1"}, true); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the stuck handshake", func() bool {
		hosts[0].mu.Lock()
		defer hosts[0].mu.Unlock()
		return len(hosts[0].pending) == 1
	})
	var downs atomic.Int32 // peers' down callbacks run on their own goroutines
	hosts[0].OnPeer(nil, func(PeerInfo) { downs.Add(1) })
	for _, h := range hosts {
		h.Stop()
	}
	if downs.Load() != 2 {
		t.Errorf("Stop ran %d down callbacks, want 2", downs.Load())
	}
	for _, h := range hosts {
		if len(h.Peers()) != 0 {
			t.Errorf("peers left after Stop: %v", h.Peers())
		}
		if h.Send(hosts[2].ID(), ChannelConsensus, []byte("x")) {
			t.Error("send accepted after Stop")
		}
	}
	// The stuck client sees its connection closed (after the host's half
	// of the key exchange).
	_ = stuck.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, err := stuck.Read(make([]byte, 64))
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("pending connection left open")
		}
		if err != nil {
			break
		}
	}
	checkNoLeaks(t)
}

func TestCancellingTheStartContextStopsTheHost(t *testing.T) {
	checkNoLeaks(t)
	h, err := New(testConfig("127.0.0.1:0"), testKeys(1)[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := contextWithCancel(t)
	if err := h.Start(ctx); err != nil {
		t.Fatal(err)
	}
	addr := h.ListenAddr()
	cancel()
	waitFor(t, 10*time.Second, "the listener to close", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	checkNoLeaks(t)
}
