package p2p

import (
	"bufio"
	"bytes"
	"fmt"
	"testing"
	"time"
)

func TestSendQueueDrainsByPriorityThenFIFO(t *testing.T) {
	q := newSendQueue(DefaultChannels(1000, 1000)[:3])
	const consensus, blocksync, mempool = 0, 1, 2
	for i := 0; i < 3; i++ {
		q.push(mempool, []byte(fmt.Sprint("m", i)))
		q.push(blocksync, []byte(fmt.Sprint("b", i)))
		q.push(consensus, []byte(fmt.Sprint("c", i)))
	}
	var got string
	for {
		_, msg, ok := q.pop()
		if !ok {
			break
		}
		got += string(msg) + " "
	}
	if want := "c0 c1 c2 b0 b1 b2 m0 m1 m2 "; got != want {
		t.Fatalf("drained %q, want %q", got, want)
	}
}

func TestSendQueueIsBoundedPerChannel(t *testing.T) {
	specs := []ChannelSpec{{ID: 1, MaxMessageBytes: 10, QueueSize: 2}, {ID: 2, MaxMessageBytes: 10, QueueSize: 3}}
	q := newSendQueue(specs)
	if !q.push(0, []byte("a")) || !q.push(0, []byte("b")) {
		t.Fatal("refused below capacity")
	}
	if q.push(0, []byte("c")) {
		t.Fatal("accepted beyond capacity")
	}
	if !q.push(1, []byte("x")) {
		t.Fatal("a full lane blocked another lane")
	}
	// The ring wraps: pop one, push one, order holds.
	if ch, msg, _ := q.pop(); ch != 1 || string(msg) != "a" {
		t.Fatalf("popped %d %q", ch, msg)
	}
	if !q.push(0, []byte("d")) {
		t.Fatal("refused after a pop")
	}
	if l := q.lengths(); l[1] != 2 || l[2] != 1 {
		t.Fatalf("lengths %v", l)
	}
	for _, want := range []string{"b", "d", "x"} {
		if _, msg, ok := q.pop(); !ok || string(msg) != want {
			t.Fatalf("popped %q, want %q", msg, want)
		}
	}
	q.close()
	if q.push(1, []byte("late")) {
		t.Fatal("accepted after close")
	}
}

// TestSendNeverBlocksAndVotesOvertakeMempool fills the mempool queue to a
// peer that does not read, checks that Send then fails at once instead of
// blocking, and that a consensus message queued behind the full mempool
// queue reaches the peer before that backlog.
func TestSendNeverBlocksAndVotesOvertakeMempool(t *testing.T) {
	keys := testKeys(2)
	cfg := testConfig(freePort(t))
	cfg.Channels = DefaultChannels(1<<20, 64<<10)
	const mempoolQueue = 64
	cfg.Channels[2].QueueSize = mempoolQueue
	h := startHost(t, cfg, keys[0])
	c, err := rawPeer(t, h, keys[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	peer := IDOf(keys[1].PubKey())
	waitFor(t, 10*time.Second, "registration", func() bool { return hasPeer(h, peer) })

	// Fill the mempool queue until Send refuses, and again after a pause,
	// until the queue stays full: by then the socket buffers are full and
	// the writer is stuck on the peer that does not read.
	tx := bytes.Repeat([]byte{1}, 32<<10)
	done := make(chan int)
	go func() {
		sent := 0
		for round := 0; round < 2000; round++ {
			refused := false
			for !refused {
				if refused = !h.Send(peer, ChannelMempool, tx); !refused {
					sent++
				}
			}
			time.Sleep(5 * time.Millisecond)
			if !h.Send(peer, ChannelMempool, tx) {
				done <- sent
				return
			}
			sent++
		}
		done <- -1
	}()
	var sent int
	select {
	case sent = <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("Send blocked on a full queue")
	}
	if sent < 0 {
		t.Fatal("the queue to a peer that does not read never stayed full")
	}
	if h.Counters().DroppedSends == 0 {
		t.Fatal("refused send not counted")
	}
	if !h.Send(peer, ChannelConsensus, []byte("vote")) {
		t.Fatal("a full mempool queue refused a consensus message")
	}
	// Every mempool message still queued once the vote is queued must go
	// out after it.
	backlog := h.Peers()[0].Queued[ChannelMempool]
	if backlog == 0 {
		t.Fatal("no mempool backlog behind the vote")
	}
	t.Logf("queued %d mempool messages; %d wait behind the vote", sent, backlog)

	// Now read everything that was sent.
	_ = c.raw.SetReadDeadline(time.Now().Add(30 * time.Second))
	mempoolAfterVote, sawVote := 0, false
	for read := 0; read < sent; {
		ch, msg, err := readFrame(c.r, h.channelLimit)
		if err != nil {
			t.Fatalf("after %d of %d mempool messages: %v", read, sent, err)
		}
		switch ch {
		case ChannelMempool:
			read++
			if sawVote {
				mempoolAfterVote++
			}
		case ChannelConsensus:
			sawVote = string(msg) == "vote"
		}
	}
	if !sawVote || mempoolAfterVote < backlog {
		t.Fatalf("vote seen %v with %d mempool messages after it; want at least %d", sawVote, mempoolAfterVote, backlog)
	}
}

func TestSendRefusesWhatThePeerWouldPenalize(t *testing.T) {
	keys := testKeys(2)
	h := startHost(t, testConfig(freePort(t)), keys[0])
	if _, err := rawPeer(t, h, keys[1], nil); err != nil {
		t.Fatal(err)
	}
	peer := IDOf(keys[1].PubKey())
	waitFor(t, 10*time.Second, "registration", func() bool { return hasPeer(h, peer) })
	limit, _ := h.channelLimit(ChannelMempool)
	if h.Send(peer, ChannelMempool, make([]byte, limit+1)) {
		t.Error("oversized message queued")
	}
	if h.Send(peer, 0x55, []byte("x")) {
		t.Error("message on an unknown channel queued")
	}
	if h.Send("0000000000000000000000000000000000000000", ChannelMempool, []byte("x")) {
		t.Error("message to an unknown peer queued")
	}
	if n := h.Broadcast(ChannelMempool, make([]byte, limit+1)); n != 0 {
		t.Error("oversized broadcast queued")
	}
}

func TestFrameReaderEnforcesLimits(t *testing.T) {
	limit := func(ch byte) (int, bool) { return 10, ch == 1 }
	var buf bytes.Buffer
	if err := writeFrame(&buf, 1, []byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != frameSize(10) {
		t.Fatalf("frame is %d bytes, frameSize says %d", buf.Len(), frameSize(10))
	}
	ch, msg, err := readFrame(bufio.NewReader(&buf), limit)
	if err != nil || ch != 1 || string(msg) != "0123456789" {
		t.Fatalf("read %d %q %v", ch, msg, err)
	}
	violations := map[string][]byte{
		"oversized":       appendFrameHeader(nil, 1, 11),
		"unknown channel": appendFrameHeader(nil, 2, 1),
		"overflow":        append([]byte{1}, bytes.Repeat([]byte{0x80}, 10)...),
	}
	for name, b := range violations {
		if _, _, err := readFrame(bufio.NewReader(bytes.NewReader(b)), limit); !isViolation(err) {
			t.Errorf("%s: %v, want a violation", name, err)
		}
	}
	// A connection cut mid-frame is an I/O error, not an offence.
	cut := append(appendFrameHeader(nil, 1, 5), 'a', 'b')
	if _, _, err := readFrame(bufio.NewReader(bytes.NewReader(cut)), limit); err == nil || isViolation(err) {
		t.Errorf("truncated frame: %v", err)
	}
	for _, n := range []int{0, 127, 128, 16383, 16384, 1 << 30} {
		if got := frameSize(n); got != len(appendFrameHeader(nil, 1, n))+n {
			t.Errorf("frameSize(%d) = %d", n, got)
		}
	}
}
