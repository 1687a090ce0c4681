package sim

import (
	"fmt"
	"strings"
)

// partition builds the reachability matrix of one partition kind over the
// nodes: reach[a][b] reports whether a can send to b (nil: everyone).
func (w *world) partition(kind string) [][]bool {
	n := len(w.nodes)
	if n < 2 {
		return nil // nothing to cut
	}
	switch kind {
	case "split":
		group := make([]int, n)
		for {
			seen := [2]bool{}
			for i := range group {
				group[i] = w.rng.IntN(2)
				seen[group[i]] = true
			}
			if seen[0] && seen[1] {
				break
			}
		}
		return groupsReach(group)
	case "halves":
		order := w.rng.Perm(n)
		group := make([]int, n)
		for i, s := range order {
			group[s] = i * 2 / n
		}
		return groupsReach(group)
	case "isolate":
		group := make([]int, n)
		group[w.rng.IntN(n)] = 1
		return groupsReach(group)
	case "ring":
		return ringReach(w.rng.Perm(n))
	case "hub":
		return hubReach(n, w.byVal[w.lastProposer])
	case "twins":
		return groupsReach(w.twinGroups())
	}
	panic(fmt.Sprintf("unknown partition kind %q", kind))
}

// groupsReach lets nodes reach exactly the nodes of their own group.
func groupsReach(group []int) [][]bool {
	reach := newReach(len(group))
	for a := range group {
		for b := range group {
			reach[a][b] = group[a] == group[b]
		}
	}
	return reach
}

// ringReach lets each node reach its two neighbours on the ring order.
func ringReach(order []int) [][]bool {
	n := len(order)
	reach := newReach(n)
	for i, s := range order {
		reach[s][s] = true
		next, prev := order[(i+1)%n], order[(i+n-1)%n]
		reach[s][next], reach[s][prev] = true, true
	}
	return reach
}

// hubReach is the asymmetric partition: the hub nodes (the latest
// proposer or primary) reach everyone and hear everyone; nobody else can
// reach anybody else.
func hubReach(n int, hubs []int) [][]bool {
	reach := newReach(n)
	for a := range reach {
		reach[a][a] = true
	}
	for _, h := range hubs {
		for b := 0; b < n; b++ {
			reach[h][b], reach[b][h] = true, true
		}
	}
	return reach
}

// twinGroups puts the first node of every twin pair on one side, the
// second on the other, and the other nodes on a random side.
func (w *world) twinGroups() []int {
	group := make([]int, len(w.nodes))
	for i := range group {
		group[i] = w.rng.IntN(2)
	}
	for _, slots := range w.byVal {
		if len(slots) == 2 {
			group[slots[0]], group[slots[1]] = 0, 1
		}
	}
	return group
}

func newReach(n int) [][]bool {
	reach := make([][]bool, n)
	for i := range reach {
		reach[i] = make([]bool, n)
	}
	return reach
}

// reachString renders a matrix as one line: "0>1,2 1>0 ...".
func reachString(reach [][]bool) string {
	var b strings.Builder
	for a, row := range reach {
		fmt.Fprintf(&b, " n%d>", a)
		var to []string
		for c, ok := range row {
			if ok && c != a {
				to = append(to, fmt.Sprint(c))
			}
		}
		b.WriteString(strings.Join(to, ","))
	}
	return strings.TrimSpace(b.String())
}
