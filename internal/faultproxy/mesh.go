package faultproxy

import (
	"fmt"
	"sort"
	"strings"
)

// Link is the direction from node From to node To: From dials To through
// the link's proxy.
type Link struct{ From, To int }

// Mesh is one proxy per directed link between n nodes.
type Mesh struct {
	n       int
	proxies map[Link]*Proxy
}

// NewMesh starts a proxy on 127.0.0.1 for every ordered pair of the nodes
// whose listening addresses are targets (targets[j] is where node j
// accepts connections).
func NewMesh(targets []string) (*Mesh, error) {
	m := &Mesh{n: len(targets), proxies: map[Link]*Proxy{}}
	for from := range targets {
		for to, target := range targets {
			if from == to {
				continue
			}
			p, err := Listen("127.0.0.1:0", target)
			if err != nil {
				m.Close()
				return nil, err
			}
			m.proxies[Link{from, to}] = p
		}
	}
	return m, nil
}

// Size is the number of nodes.
func (m *Mesh) Size() int { return m.n }

// Addr is where node from dials node to.
func (m *Mesh) Addr(from, to int) string { return m.proxies[Link{from, to}].Addr() }

// Proxy returns the proxy of one link.
func (m *Mesh) Proxy(from, to int) *Proxy { return m.proxies[Link{from, to}] }

// Close stops every proxy.
func (m *Mesh) Close() {
	for _, p := range m.proxies {
		_ = p.Close()
	}
}

// SetBoth sets the mode of the links in both directions between a and b.
func (m *Mesh) SetBoth(a, b int, mode Mode) {
	m.proxies[Link{a, b}].SetMode(mode)
	m.proxies[Link{b, a}].SetMode(mode)
}

// HealAll lets every link pass.
func (m *Mesh) HealAll() {
	for _, p := range m.proxies {
		p.SetMode(Pass)
	}
}

// Apply makes exactly the node pairs that reach tell true reach each
// other and applies mode to every other pair.
func (m *Mesh) Apply(reach func(a, b int) bool, mode Mode) {
	for l, p := range m.proxies {
		if reach(l.From, l.To) && reach(l.To, l.From) {
			p.SetMode(Pass)
		} else {
			p.SetMode(mode)
		}
	}
}

// Partition splits the nodes into groups that reach only their own
// members; nodes in no group are isolated from everyone.
func (m *Mesh) Partition(mode Mode, groups ...[]int) {
	group := make(map[int]int)
	for g, members := range groups {
		for _, i := range members {
			group[i] = g + 1
		}
	}
	m.Apply(func(a, b int) bool { return group[a] != 0 && group[a] == group[b] }, mode)
}

// Isolate cuts node i off from every other node and heals all other
// links.
func (m *Mesh) Isolate(i int, mode Mode) {
	m.Apply(func(a, b int) bool { return a != i && b != i }, mode)
}

// Ring lets each node reach only its neighbours on a ring 0-1-...-(n-1)-0.
func (m *Mesh) Ring(mode Mode) {
	m.Apply(func(a, b int) bool {
		d := (a - b + m.n) % m.n
		return d == 1 || d == m.n-1
	}, mode)
}

// Star lets the hub reach everyone while no two other nodes reach each
// other: PBFT's primary that reaches all backups which cannot talk among
// themselves.
func (m *Mesh) Star(hub int, mode Mode) {
	m.Apply(func(a, b int) bool { return a == hub || b == hub }, mode)
}

// Describe lists the pairs that cannot reach each other, for reports.
func (m *Mesh) Describe() string {
	var cut []string
	for l, p := range m.proxies {
		if l.From < l.To && (p.Mode() != Pass || m.proxies[Link{l.To, l.From}].Mode() != Pass) {
			cut = append(cut, fmt.Sprintf("%d-%d", l.From, l.To))
		}
	}
	if len(cut) == 0 {
		return "all links up"
	}
	sort.Strings(cut)
	return "cut " + strings.Join(cut, ",")
}
