package faultproxy

import (
	"net"
	"testing"
)

func newTestMesh(t *testing.T, n int) *Mesh {
	t.Helper()
	targets := make([]string, n)
	for i := range targets {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		targets[i] = ln.Addr().String()
	}
	m, err := NewMesh(targets)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// reachable lists, for every ordered pair, whether its link passes.
func reachable(m *Mesh) map[Link]bool {
	out := map[Link]bool{}
	for l, p := range m.proxies {
		out[l] = p.Mode() == Pass
	}
	return out
}

func checkReach(t *testing.T, m *Mesh, want func(a, b int) bool) {
	t.Helper()
	for l, got := range reachable(m) {
		if got != want(l.From, l.To) {
			t.Errorf("link %d→%d passes=%v, want %v (%s)", l.From, l.To, got, !got, m.Describe())
		}
	}
}

func TestMeshTargetsEveryOtherNode(t *testing.T) {
	m := newTestMesh(t, 4)
	if len(m.proxies) != 12 {
		t.Fatalf("%d proxies for 4 nodes, want 12", len(m.proxies))
	}
	if m.Proxy(1, 3).Target() != m.Proxy(0, 3).Target() || m.Proxy(1, 3).Target() == m.Proxy(1, 2).Target() {
		t.Fatal("links to one node must share its target and differ from others")
	}
}

func TestPartitionSplitsGroups(t *testing.T) {
	m := newTestMesh(t, 4)
	m.Partition(Cut, []int{0, 1}, []int{2, 3})
	checkReach(t, m, func(a, b int) bool { return (a < 2) == (b < 2) })
	if m.Describe() != "cut 0-2,0-3,1-2,1-3" {
		t.Fatalf("describe: %s", m.Describe())
	}
	m.HealAll()
	checkReach(t, m, func(a, b int) bool { return true })
	if m.Describe() != "all links up" {
		t.Fatalf("describe: %s", m.Describe())
	}
}

func TestIsolateRingAndStar(t *testing.T) {
	m := newTestMesh(t, 5)
	m.Isolate(2, Cut)
	checkReach(t, m, func(a, b int) bool { return a != 2 && b != 2 })
	m.Ring(Blackhole)
	checkReach(t, m, func(a, b int) bool { d := (a - b + 5) % 5; return d == 1 || d == 4 })
	if m.Proxy(0, 2).Mode() != Blackhole {
		t.Fatalf("ring cut mode %v, want blackhole", m.Proxy(0, 2).Mode())
	}
	m.Star(1, Cut)
	checkReach(t, m, func(a, b int) bool { return a == 1 || b == 1 })
}
