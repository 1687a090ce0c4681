package faultproxy

import (
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestScheduleNeverReordersUnderJitter(t *testing.T) {
	s := newSchedule(Shape{Delay: 50 * time.Millisecond, Jitter: 50 * time.Millisecond}, 1)
	t0 := time.Unix(0, 0)
	var last time.Time
	spread := map[time.Duration]bool{}
	for i := 0; i < 1000; i++ {
		now := t0.Add(time.Duration(i) * 100 * time.Microsecond)
		due := s.due(now, 100)
		if due.Before(last) {
			t.Fatalf("chunk %d due at %v, before the previous chunk at %v", i, due, last)
		}
		if d := due.Sub(now); d > 100*time.Millisecond {
			t.Fatalf("chunk %d delayed %v; Delay+Jitter is 100ms", i, d)
		}
		spread[due.Sub(now)/time.Millisecond] = true
		last = due
	}
	if len(spread) < 10 {
		t.Errorf("jitter gave only %d distinct delays in ms; want it to vary", len(spread))
	}
}

func TestScheduleChargesTransmissionTimeAtTheBandwidth(t *testing.T) {
	s := newSchedule(Shape{Delay: 10 * time.Millisecond, Bandwidth: 1000}, 1) // 1 KB/s
	t0 := time.Unix(0, 0)
	first := s.due(t0, 500)  // 0.5 s to transmit
	second := s.due(t0, 500) // queued behind the first
	if got, want := first.Sub(t0), 510*time.Millisecond; got != want {
		t.Errorf("first chunk due after %v; want %v (transmission then delay)", got, want)
	}
	if got, want := second.Sub(t0), 1010*time.Millisecond; got != want {
		t.Errorf("second chunk due after %v; want %v (behind the first)", got, want)
	}
	later := s.due(t0.Add(5*time.Second), 100) // the link was idle again
	if got, want := later.Sub(t0.Add(5*time.Second)), 110*time.Millisecond; got != want {
		t.Errorf("after an idle link the chunk is due after %v; want %v", got, want)
	}
}

func TestShapeValidateNamesTheField(t *testing.T) {
	for _, c := range []struct {
		s     Shape
		field string
	}{
		{Shape{Delay: -1}, "Delay"},
		{Shape{Delay: time.Millisecond, Jitter: 2 * time.Millisecond}, "Jitter"},
		{Shape{Bandwidth: -5}, "Bandwidth"},
	} {
		err := c.s.Validate()
		if err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%+v: error %v; want one naming %s", c.s, err, c.field)
		}
	}
	if err := (Shape{Delay: time.Second, Jitter: time.Second, Bandwidth: 1}).Validate(); err != nil {
		t.Errorf("a valid shape refused: %v", err)
	}
}

func TestShapedProxyDelaysTheRoundTrip(t *testing.T) {
	p := startProxy(t, echoServer(t))
	const oneWay = 40 * time.Millisecond
	if err := p.SetShape(Shape{Delay: oneWay}, Shape{Delay: oneWay}); err != nil {
		t.Fatal(err)
	}
	c, r := dial(t, p.Addr())
	roundTrip(t, c, r, "warm") // the dial itself is not delayed; the first bytes are
	for i := 0; i < 3; i++ {
		start := time.Now()
		roundTrip(t, c, r, "ping")
		// Generous bounds: the emulator's own check, not a speed target.
		if rtt := time.Since(start); rtt < 2*oneWay || rtt > 2*oneWay+time.Second {
			t.Errorf("round trip %v through a link of %v each way; want at least %v", rtt, oneWay, 2*oneWay)
		}
	}
}

// collector accepts one connection and returns everything it reads.
func collector(t *testing.T) (string, <-chan []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- b
	}()
	return ln.Addr().String(), got
}

func TestShapedProxyKeepsByteOrderUnderJitter(t *testing.T) {
	addr, got := collector(t)
	p := startProxy(t, addr)
	s := Shape{Delay: 5 * time.Millisecond, Jitter: 5 * time.Millisecond}
	if err := p.SetShape(s, s); err != nil {
		t.Fatal(err)
	}
	c, _ := dial(t, p.Addr())
	var sent bytes.Buffer
	for i := uint32(0); i < 3000; i++ {
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], i)
		sent.Write(b[:])
		if _, err := c.Write(b[:]); err != nil { // many small writes: many chunks
			t.Fatal(err)
		}
		if i%100 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	_ = c.(*net.TCPConn).CloseWrite()
	select {
	case b := <-got:
		if !bytes.Equal(b, sent.Bytes()) {
			t.Fatalf("received %d bytes that differ from the %d sent: the link reordered or lost bytes", len(b), sent.Len())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the collector got nothing within 20s")
	}
}

func TestShapedProxyLimitsBandwidth(t *testing.T) {
	addr, got := collector(t)
	p := startProxy(t, addr)
	const rate = 1 << 20 // 1 MiB/s
	if err := p.SetShape(Shape{Bandwidth: rate}, Shape{Bandwidth: rate}); err != nil {
		t.Fatal(err)
	}
	c, _ := dial(t, p.Addr())
	payload := bytes.Repeat([]byte("x"), rate/2)
	start := time.Now()
	if _, err := c.Write(payload); err != nil {
		t.Fatal(err)
	}
	_ = c.(*net.TCPConn).CloseWrite()
	b := <-got
	if len(b) != len(payload) {
		t.Fatalf("received %d of %d bytes", len(b), len(payload))
	}
	// Half a MiB at 1 MiB/s cannot arrive in less than half a second.
	if took := time.Since(start); took < 450*time.Millisecond {
		t.Errorf("half a MiB crossed a 1 MiB/s link in %v; want at least 0.5s", took)
	}
}

func TestRegionsMatrix(t *testing.T) {
	r := DefaultRegions()
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		i, j int
		rtt  time.Duration
	}{{0, 4, 10 * time.Millisecond}, {0, 1, 80 * time.Millisecond}, {1, 3, 150 * time.Millisecond}, {3, 4, 220 * time.Millisecond}} {
		if got := r.RTTBetween(c.i, c.j); got != c.rtt {
			t.Errorf("RTT between nodes %d and %d is %v; want %v", c.i, c.j, got, c.rtt)
		}
	}
	if s := r.ShapeBetween(0, 3); s.Delay != 110*time.Millisecond || s.Jitter != 11*time.Millisecond {
		t.Errorf("shape between the ends: %v; want 110ms ±11ms", s)
	}
	r.RTT[0][1] = time.Millisecond
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "europe-us-east") {
		t.Errorf("an asymmetric matrix: %v; want an error naming the pair", err)
	}
}

func TestMeshShapeAppliesTheMatrix(t *testing.T) {
	m, err := NewMesh([]string{echoServer(t), echoServer(t), echoServer(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	r := DefaultRegions()
	if err := m.Shape(r); err != nil {
		t.Fatal(err)
	}
	up, down := m.Proxy(0, 2).Shapes()
	if want := r.ShapeBetween(0, 2); up != want || down != want {
		t.Errorf("link 0→2 shaped %v / %v; want %v both ways", up, down, want)
	}
}
