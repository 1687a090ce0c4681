//go:build byzantine

package engine

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire"
	"github.com/bftnode/bftnode/wire/wirepb"
	"github.com/cometbft/cometbft/types"
)

// ByzantineEnv names the environment variable that turns a validator
// Byzantine: a comma-separated list of behaviours.
const ByzantineEnv = "BFTNODE_BYZANTINE"

// The Byzantine behaviours. Each acts after every message the node sends.
const (
	// Equivocate signs a second proposal (with its own valid block) or
	// vote for another value in the same slot and sends it too.
	Equivocate = "equivocate"
	// BadSignature sends a copy with a corrupted signature.
	BadSignature = "badsig"
	// OtherChain sends a copy signed for another chain ID.
	OtherChain = "chainid"
	// Replay resends one of the node's own earlier messages.
	Replay = "replay"
	// Garbage sends random bytes on the consensus and block sync channels.
	Garbage = "garbage"
	// Oversized sends a vote whose signature is far over any key's size.
	Oversized = "oversized"
	// Censor leaves the transaction named by CensorTxEnv out of every
	// block the node proposes (it keeps reaping the others).
	Censor = "censor"
)

// CensorTxEnv names the environment variable that holds the transaction
// (its bytes, as broadcast) a Censor validator leaves out.
const CensorTxEnv = "BFTNODE_CENSOR_TX"

var byzantineBehaviours = []string{Equivocate, BadSignature, OtherChain, Replay, Garbage, Oversized, Censor}

func init() {
	modes, err := parseByzantine(os.Getenv(ByzantineEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if len(modes) > 0 {
		fmt.Fprintf(os.Stderr, "BYZANTINE validator: %s\n", strings.Join(modes, ", "))
		misbehave = (&byzantine{modes: modes}).act
	}
	if slices.Contains(modes, Censor) {
		chosen := os.Getenv(CensorTxEnv)
		if chosen == "" {
			fmt.Fprintf(os.Stderr, "%s=%s needs %s: the transaction to leave out\n", ByzantineEnv, Censor, CensorTxEnv)
			os.Exit(2)
		}
		censor = censorTx([]byte(chosen))
	}
}

// censorTx returns a reaping filter that drops tx.
func censorTx(tx []byte) func([][]byte) [][]byte {
	return func(txs [][]byte) [][]byte {
		out := txs[:0:0]
		for _, t := range txs {
			if !bytes.Equal(t, tx) {
				out = append(out, t)
			}
		}
		return out
	}
}

func parseByzantine(v string) ([]string, error) {
	var modes []string
	for _, m := range strings.Split(v, ",") {
		if m = strings.TrimSpace(m); m == "" {
			continue
		}
		known := false
		for _, b := range byzantineBehaviours {
			known = known || b == m
		}
		if !known {
			return nil, fmt.Errorf("%s: unknown behaviour %q; known: %s", ByzantineEnv, m, strings.Join(byzantineBehaviours, ", "))
		}
		modes = append(modes, m)
	}
	return modes, nil
}

// byzantine holds what the misbehaving validator needs between messages.
type byzantine struct {
	modes []string
	mu    sync.Mutex
	sent  []consensus.Message // the node's own messages, oldest first
	count int
}

// act runs after the node sent m. It is called on the driver goroutine.
func (b *byzantine) act(e *Engine, m consensus.Message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.count++
	for _, mode := range b.modes {
		switch mode {
		case Equivocate:
			b.equivocate(e, m)
		case BadSignature:
			b.badSignature(e, m)
		case OtherChain:
			b.otherChain(e, m)
		case Replay:
			b.replay(e)
		case Garbage:
			e.p.Net.Broadcast(ChannelConsensus, randomBytes(1+b.count%300))
			e.p.Net.Broadcast(ChannelBlocksync, randomBytes(1+b.count%300))
		case Oversized:
			b.oversized(e, m)
		}
	}
	if len(b.sent) == 256 {
		b.sent = b.sent[1:]
	}
	b.sent = append(b.sent, m)
}

func (b *byzantine) broadcast(e *Engine, cm wire.ConsensusMessage) {
	raw, err := wire.EncodeConsensus(cm)
	if err != nil {
		e.log.Debug("byzantine: cannot encode", "err", err)
		return
	}
	e.p.Net.Broadcast(ChannelConsensus, raw)
}

// signFresh signs m for chainID without the double-sign guard.
func (b *byzantine) signFresh(e *Engine, chainID string, m consensus.Message) (consensus.Message, error) {
	return NewSigner(e.cfg.Key, chainID).Sign(m, time.Now())
}

func (b *byzantine) equivocate(e *Engine, m consensus.Message) {
	switch m := m.(type) {
	case *consensus.Vote:
		v := *m
		v.Value = fakeValue()
		if signed, err := b.signFresh(e, e.state.ChainID, &v); err == nil {
			b.broadcast(e, wire.ConsensusMessage{Msg: signed})
			e.log.Warn("byzantine: equivocating vote", "height", v.Height, "round", v.Round, "type", v.Type)
		}
	case *consensus.Proposal:
		block := e.blocks.get(m.Value)
		if block == nil {
			return
		}
		other, id, err := conflictingBlock(block)
		if err != nil {
			e.log.Debug("byzantine: no conflicting block", "err", err)
			return
		}
		p := *m
		p.Value = id
		if signed, err := b.signFresh(e, e.state.ChainID, &p); err == nil {
			b.broadcast(e, wire.ConsensusMessage{Msg: signed, Block: other})
			e.log.Warn("byzantine: equivocating proposal", "height", p.Height, "round", p.Round)
		}
	}
}

// conflictingBlock is a valid block of the same height with one more
// transaction, and its ID.
func conflictingBlock(b *types.Block) (*types.Block, consensus.ID, error) {
	txs := append(append(types.Txs{}, b.Txs...), types.Tx("byzantine-"+fmt.Sprint(time.Now().UnixNano())))
	other := &types.Block{Header: b.Header, Data: types.Data{Txs: txs}, Evidence: b.Evidence, LastCommit: b.LastCommit}
	other.Header.DataHash = other.Data.Hash()
	parts, err := other.MakePartSet(types.BlockPartSizeBytes)
	if err != nil {
		return nil, "", err
	}
	return other, wire.EncodeID(types.BlockID{Hash: other.Hash(), PartSetHeader: parts.Header()}), nil
}

func fakeValue() consensus.ID {
	return wire.EncodeID(types.BlockID{Hash: randomBytes(32), PartSetHeader: types.PartSetHeader{Total: 1, Hash: randomBytes(32)}})
}

func (b *byzantine) badSignature(e *Engine, m consensus.Message) {
	switch m := m.(type) {
	case *consensus.Vote:
		v := *m
		v.Signature = append([]byte(nil), m.Signature...)
		v.Signature[0] ^= 0xff
		b.broadcast(e, wire.ConsensusMessage{Msg: &v})
	case *consensus.Proposal:
		p := *m
		p.Signature = append([]byte(nil), m.Signature...)
		p.Signature[0] ^= 0xff
		b.broadcast(e, wire.ConsensusMessage{Msg: &p, Block: e.blocks.get(p.Value)})
	}
}

func (b *byzantine) otherChain(e *Engine, m consensus.Message) {
	v, ok := m.(*consensus.Vote)
	if !ok {
		return
	}
	c := *v
	if signed, err := b.signFresh(e, "other-"+e.state.ChainID, &c); err == nil {
		b.broadcast(e, wire.ConsensusMessage{Msg: signed})
	}
}

func (b *byzantine) replay(e *Engine) {
	if len(b.sent) < 32 {
		return
	}
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(b.sent)-16)))
	if err != nil {
		return
	}
	old := b.sent[n.Int64()]
	cm := wire.ConsensusMessage{Msg: old}
	if p, ok := old.(*consensus.Proposal); ok {
		cm.Block = e.blocks.get(p.Value)
	}
	b.broadcast(e, cm)
}

func (b *byzantine) oversized(e *Engine, m consensus.Message) {
	v, ok := m.(*consensus.Vote)
	if !ok {
		return
	}
	pb, err := wire.VoteToProto(v)
	if err != nil {
		return
	}
	pb.Signature = randomBytes(256 << 10)
	env := &wirepb.ConsensusMessage{Sum: &wirepb.ConsensusMessage_Vote{Vote: pb}}
	if raw, err := env.Marshal(); err == nil {
		e.p.Net.Broadcast(ChannelConsensus, raw)
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
