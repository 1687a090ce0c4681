package node

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/p2p"
)

// recentEvidence is how many pieces of evidence a node keeps to pass to
// peers that connect later, and remembers as already passed on.
const recentEvidence = 256

// evidenceSink verifies evidence against the chain and queues it for a
// block (the engine).
type evidenceSink interface {
	AddEvidence(ev types.Evidence) error
}

// evidenceNet is the part of the p2p host the gossip uses.
type evidenceNet interface {
	Broadcast(ch byte, msg []byte) int
	Send(to p2p.ID, ch byte, msg []byte) bool
	Penalize(peer p2p.ID, reason string)
}

// evidenceGossip passes evidence that verified here to every peer, as
// CometBFT's evidence reactor does. Only the node whose turn it is puts
// evidence in a block (for PBFT the primary, for a whole view), so
// evidence a client submits to any node, a full node included, has to
// reach all of them.
type evidenceGossip struct {
	sink evidenceSink
	net  evidenceNet
	log  *slog.Logger

	mu     sync.Mutex
	seen   map[string]bool
	recent []types.Evidence // oldest first, at most recentEvidence
}

func newEvidenceGossip(sink evidenceSink, net evidenceNet, log *slog.Logger) *evidenceGossip {
	return &evidenceGossip{sink: sink, net: net, log: log, seen: map[string]bool{}}
}

// AddEvidence takes evidence a client submitted: it is verified and kept
// for a block here, then passed to every peer.
func (g *evidenceGossip) AddEvidence(ev types.Evidence) error {
	if err := g.sink.AddEvidence(ev); err != nil {
		return err
	}
	g.pass(ev)
	return nil
}

// receive takes a peer's list of evidence. Evidence that verifies and is
// new here goes on to every peer. Evidence that does not verify is dropped
// without blame: the peer may be ahead of this node.
func (g *evidenceGossip) receive(from p2p.ID, msg []byte) {
	list, err := decodeEvidence(msg)
	if err != nil {
		g.net.Penalize(from, "evidence: "+err.Error())
		return
	}
	for _, ev := range list {
		if g.known(ev) {
			continue
		}
		if err := g.sink.AddEvidence(ev); err != nil {
			g.log.Debug("evidence from a peer does not verify here", "peer", from, "err", err)
			continue
		}
		g.pass(ev)
	}
}

// peerUp sends a newly connected peer the evidence passed on recently.
func (g *evidenceGossip) peerUp(peer p2p.ID) {
	g.mu.Lock()
	list := append([]types.Evidence(nil), g.recent...)
	g.mu.Unlock()
	if len(list) == 0 {
		return
	}
	msg, err := encodeEvidence(list)
	if err != nil {
		g.log.Error("encoding evidence for a new peer", "err", err)
		return
	}
	g.net.Send(peer, p2p.ChannelEvidence, msg)
}

func (g *evidenceGossip) known(ev types.Evidence) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.seen[string(ev.Hash())]
}

// pass remembers ev and broadcasts it, once.
func (g *evidenceGossip) pass(ev types.Evidence) {
	g.mu.Lock()
	h := string(ev.Hash())
	if g.seen[h] {
		g.mu.Unlock()
		return
	}
	g.seen[h] = true
	g.recent = append(g.recent, ev)
	if len(g.recent) > recentEvidence {
		delete(g.seen, string(g.recent[0].Hash()))
		g.recent = g.recent[1:]
	}
	g.mu.Unlock()
	msg, err := encodeEvidence([]types.Evidence{ev})
	if err != nil {
		g.log.Error("encoding evidence for peers", "err", err)
		return
	}
	g.net.Broadcast(p2p.ChannelEvidence, msg)
}

// encodeEvidence is CometBFT's EvidenceList in protobuf.
func encodeEvidence(list []types.Evidence) ([]byte, error) {
	pb := cmtproto.EvidenceList{Evidence: make([]cmtproto.Evidence, 0, len(list))}
	for _, ev := range list {
		p, err := types.EvidenceToProto(ev)
		if err != nil {
			return nil, err
		}
		pb.Evidence = append(pb.Evidence, *p)
	}
	return pb.Marshal()
}

// decodeEvidence reads an EvidenceList and checks each piece's form.
func decodeEvidence(msg []byte) ([]types.Evidence, error) {
	var pb cmtproto.EvidenceList
	if err := pb.Unmarshal(msg); err != nil {
		return nil, fmt.Errorf("not an evidence list: %w", err)
	}
	if len(pb.Evidence) == 0 {
		return nil, errors.New("an empty evidence list")
	}
	out := make([]types.Evidence, 0, len(pb.Evidence))
	for i := range pb.Evidence {
		ev, err := types.EvidenceFromProto(&pb.Evidence[i])
		if err != nil {
			return nil, fmt.Errorf("evidence %d: %w", i, err)
		}
		if err := ev.ValidateBasic(); err != nil {
			return nil, fmt.Errorf("evidence %d: %w", i, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// announceEvidence passes evidence this node's core found to every peer;
// the engine calls it from its goroutine. Before the p2p host is built
// (replaying blocks at start) there is no one to tell.
func (n *Node) announceEvidence(ev types.Evidence) {
	if n.evgos != nil {
		n.evgos.pass(ev)
	}
}
