package node

import (
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/p2p"
	"github.com/bftnode/bftnode/state/statetest"
)

// fakeSink accepts evidence unless it is in refuse.
type fakeSink struct {
	mu     sync.Mutex
	got    []types.Evidence
	refuse map[string]bool
}

func (s *fakeSink) AddEvidence(ev types.Evidence) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse[string(ev.Hash())] {
		return errors.New("does not verify")
	}
	s.got = append(s.got, ev)
	return nil
}

// fakeNet records what the gossip sends.
type fakeNet struct {
	broadcasts [][]byte
	sent       map[p2p.ID][][]byte
	penalized  []p2p.ID
}

func (f *fakeNet) Broadcast(ch byte, msg []byte) int {
	if ch != p2p.ChannelEvidence {
		panic("evidence on another channel")
	}
	f.broadcasts = append(f.broadcasts, msg)
	return 1
}

func (f *fakeNet) Send(to p2p.ID, ch byte, msg []byte) bool {
	if f.sent == nil {
		f.sent = map[p2p.ID][][]byte{}
	}
	f.sent[to] = append(f.sent[to], msg)
	return true
}

func (f *fakeNet) Penalize(peer p2p.ID, _ string) { f.penalized = append(f.penalized, peer) }

// duplicateVote is evidence that validator 0 of a one-validator chain
// voted for two blocks at height.
func duplicateVote(t testing.TB, height int64) *types.DuplicateVoteEvidence {
	t.Helper()
	s, _ := statetest.GenesisState(t, 10)
	key := statetest.Key(0)
	addr := key.PubKey().Address()
	vote := func(b byte) *types.Vote {
		hash := make([]byte, 32)
		hash[0] = b
		v := &types.Vote{Type: cmtproto.PrevoteType, Height: height, BlockID: types.BlockID{Hash: hash, PartSetHeader: types.PartSetHeader{Total: 1, Hash: hash}},
			Timestamp: time.Unix(1, 0).UTC(), ValidatorAddress: addr}
		sig, err := key.Sign(types.VoteSignBytes(s.ChainID, v.ToProto()))
		if err != nil {
			t.Fatal(err)
		}
		v.Signature = sig
		return v
	}
	ev, err := types.NewDuplicateVoteEvidence(vote(1), vote(2), time.Unix(1, 0).UTC(), s.Validators)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestEvidenceSubmittedHereReachesEveryPeerOnce(t *testing.T) {
	sink, net := &fakeSink{}, &fakeNet{}
	g := newEvidenceGossip(sink, net, slog.New(slog.DiscardHandler))
	ev := duplicateVote(t, 3)
	if err := g.AddEvidence(ev); err != nil {
		t.Fatal(err)
	}
	if err := g.AddEvidence(ev); err != nil {
		t.Fatal(err)
	}
	if len(sink.got) != 2 || len(net.broadcasts) != 1 {
		t.Fatalf("the engine got %d, peers %d broadcasts; want 2 and 1", len(sink.got), len(net.broadcasts))
	}
	list, err := decodeEvidence(net.broadcasts[0])
	if err != nil || len(list) != 1 || string(list[0].Hash()) != string(ev.Hash()) {
		t.Fatalf("broadcast %v %v", list, err)
	}
	// A peer connecting later gets it too.
	g.peerUp("late")
	if got := net.sent["late"]; len(got) != 1 {
		t.Fatalf("a new peer got %d messages", len(got))
	}
}

func TestEvidenceFromPeersIsVerifiedAndPassedOn(t *testing.T) {
	sink, net := &fakeSink{refuse: map[string]bool{}}, &fakeNet{}
	g := newEvidenceGossip(sink, net, slog.New(slog.DiscardHandler))
	good, bad := duplicateVote(t, 3), duplicateVote(t, 4)
	sink.refuse[string(bad.Hash())] = true
	msg, err := encodeEvidence([]types.Evidence{good, bad})
	if err != nil {
		t.Fatal(err)
	}
	g.receive("a", msg)
	g.receive("b", msg) // the same list again, from another peer
	if len(sink.got) != 1 || len(net.broadcasts) != 1 || len(net.penalized) != 0 {
		t.Fatalf("engine %d, broadcasts %d, penalized %v; want 1, 1, none", len(sink.got), len(net.broadcasts), net.penalized)
	}
	// Evidence refused here is not passed on, nor held against the peer.
	list, _ := decodeEvidence(net.broadcasts[0])
	if len(list) != 1 || string(list[0].Hash()) != string(good.Hash()) {
		t.Errorf("passed on %v", list)
	}
	// Bytes that are no evidence list are.
	for _, junk := range [][]byte{{0xff, 0x01}, nil} {
		g.receive("c", junk)
	}
	if len(net.penalized) != 2 || net.penalized[0] != "c" {
		t.Errorf("penalized %v after junk", net.penalized)
	}
}

func TestEvidenceGossipForgetsTheOldest(t *testing.T) {
	sink, net := &fakeSink{}, &fakeNet{}
	g := newEvidenceGossip(sink, net, slog.New(slog.DiscardHandler))
	first := duplicateVote(t, 1)
	g.AddEvidence(first)
	for h := int64(2); h <= recentEvidence+1; h++ {
		g.AddEvidence(duplicateVote(t, h))
	}
	if len(g.recent) != recentEvidence || len(g.seen) != recentEvidence || g.known(first) {
		t.Errorf("kept %d, remembers %d, first known %v", len(g.recent), len(g.seen), g.known(first))
	}
}

func FuzzDecodeEvidence(f *testing.F) {
	msg, err := encodeEvidence([]types.Evidence{duplicateVote(f, 2)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(msg)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		list, err := decodeEvidence(b)
		if err == nil && len(list) == 0 {
			t.Error("an empty list decoded without error")
		}
	})
}
