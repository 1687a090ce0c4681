package benchnet

import (
	"fmt"
	"path/filepath"

	"github.com/cometbft/cometbft/p2p"

	"github.com/bftnode/bftnode/internal/faultproxy"
)

// Layout is a network's size and the links between its nodes.
type Layout struct {
	// Validators is the network's size; 0 means Validators (4).
	Validators int
	// Regions, when set, sends every peer connection through a shaped
	// proxy: node i dials node j only through the proxy of link i→j,
	// which delays, jitters and rate-limits as the regions' matrix says
	// for the two nodes' regions.
	Regions *faultproxy.Regions
}

func (l Layout) size() int {
	if l.Validators <= 0 {
		return Validators
	}
	return l.Validators
}

// peerLists returns each node's persistent_peers: every other node's
// ID@address, the address a shaped proxy's when the layout has regions.
// The mesh it starts (nil without regions) belongs to the network.
func (l Layout) peerLists(homes []string, p2pAddrs []string) ([]string, *faultproxy.Mesh, error) {
	ids := make([]string, len(homes))
	for i, home := range homes {
		key, err := p2p.LoadNodeKey(filepath.Join(home, "config", "node_key.json"))
		if err != nil {
			return nil, nil, fmt.Errorf("reading node %d's node key: %w", i, err)
		}
		ids[i] = string(key.ID())
	}
	var mesh *faultproxy.Mesh
	if l.Regions != nil {
		var err error
		if mesh, err = faultproxy.NewMesh(p2pAddrs); err != nil {
			return nil, nil, err
		}
		if err := mesh.Shape(*l.Regions); err != nil {
			mesh.Close()
			return nil, nil, err
		}
	}
	lists := make([]string, len(homes))
	for i := range homes {
		for j := range homes {
			if j == i {
				continue
			}
			addr := p2pAddrs[j]
			if mesh != nil {
				addr = mesh.Addr(i, j)
			}
			if lists[i] != "" {
				lists[i] += ","
			}
			lists[i] += ids[j] + "@" + addr
		}
	}
	return lists, mesh, nil
}
