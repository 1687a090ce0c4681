package faultproxy

import (
	"bufio"
	"io"
	"net"
	"testing"
	"time"
)

// echoServer echoes every line back until the test ends.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func startProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	p, err := Listen("127.0.0.1:0", target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func dial(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

func roundTrip(t *testing.T, c net.Conn, r *bufio.Reader, line string) {
	t.Helper()
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		t.Fatalf("write: %v", err)
	}
	got, err := r.ReadString('\n')
	if err != nil || got != line+"\n" {
		t.Fatalf("echo of %q: got %q, %v", line, got, err)
	}
}

func TestPassForwardsBothWays(t *testing.T) {
	p := startProxy(t, echoServer(t))
	c, r := dial(t, p.Addr())
	roundTrip(t, c, r, "hello")
	roundTrip(t, c, r, "again")
	// The proxy counts a chunk once it is written on, which may be just
	// after the echo reached the client.
	deadline := time.Now().Add(5 * time.Second)
	s := p.Stats()
	for s.Forwarded < 24 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
		s = p.Stats()
	}
	if s.Accepted != 1 || s.Forwarded != 24 {
		t.Fatalf("stats %+v, want 1 connection and 24 bytes forwarded", s)
	}
}

func TestCutClosesOpenConnectionsAndRefusesNewOnesUntilHealed(t *testing.T) {
	p := startProxy(t, echoServer(t))
	c, r := dial(t, p.Addr())
	roundTrip(t, c, r, "before")

	p.SetMode(Cut)
	if _, err := r.ReadString('\n'); err == nil {
		t.Fatal("an open connection survived the cut")
	}
	c2, r2 := dial(t, p.Addr())
	_, _ = io.WriteString(c2, "during\n")
	if line, err := r2.ReadString('\n'); err == nil {
		t.Fatalf("a connection made during the cut carried %q", line)
	}
	if p.Stats().Refused == 0 {
		t.Fatal("the refused connection was not counted")
	}

	p.SetMode(Pass)
	c3, r3 := dial(t, p.Addr())
	roundTrip(t, c3, r3, "after")
}

func TestBlackholeDropsBytesButKeepsTheConnection(t *testing.T) {
	p := startProxy(t, echoServer(t))
	c, r := dial(t, p.Addr())
	roundTrip(t, c, r, "before")

	p.SetMode(Blackhole)
	if _, err := io.WriteString(c, "lost\n"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for p.Stats().Dropped < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("blackholed bytes never counted: %+v", p.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.SetMode(Pass)
	// The same connection works again, and what was sent meanwhile is gone.
	roundTrip(t, c, r, "after")
}

func TestCloseEndsEverything(t *testing.T) {
	p := startProxy(t, echoServer(t))
	c, r := dial(t, p.Addr())
	roundTrip(t, c, r, "x")
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadString('\n'); err == nil {
		t.Fatal("connection open after Close")
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Fatal("proxy still accepts after Close")
	}
}

func TestUnreachableTargetIsRefusedNotHung(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	target := ln.Addr().String()
	ln.Close()
	p := startProxy(t, target)
	c, r := dial(t, p.Addr())
	_, _ = io.WriteString(c, "x\n")
	if _, err := r.ReadString('\n'); err == nil {
		t.Fatal("read succeeded through a proxy whose target is down")
	}
}
