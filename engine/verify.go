package engine

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire"
	"github.com/cometbft/cometbft/types"
)

// verifyContext is what verifiers need to know of the chain; the driver
// replaces it after every executed block.
type verifyContext struct {
	chainID string
	last    int64               // latest executed height
	vals    *types.ValidatorSet // validators of last+1
	next    *types.ValidatorSet // validators of last+2
}

func (e *Engine) refreshVerifyContext() {
	e.verifying.Store(&verifyContext{chainID: e.state.ChainID, last: e.state.LastBlockHeight,
		vals: e.state.Validators, next: e.state.NextValidators})
}

// rawMessage is a consensus-channel message as it came from a peer.
type rawMessage struct {
	peer string
	b    []byte
}

// verifier checks peers' messages on its own goroutines, so signature
// checks never hold up the driver; the driver still applies them one at a
// time, in the order they were verified.
type verifier struct {
	e     *Engine
	in    chan rawMessage
	cache sync.Map // height -> *types.ValidatorSet of decided heights
}

func newVerifier(e *Engine) *verifier {
	return &verifier{e: e, in: make(chan rawMessage, 4096)}
}

// HandleConsensus takes a message from the consensus channel. It never
// blocks the network: when the verifiers are behind, the message is
// dropped (peers retransmit).
func (e *Engine) HandleConsensus(peer string, msg []byte) {
	select {
	case e.verify.in <- rawMessage{peer, msg}:
	default:
		counters.droppedEvents.Add(1)
	}
}

func (v *verifier) run(done <-chan struct{}) {
	workers := max(1, runtime.GOMAXPROCS(0))
	for i := 0; i < workers; i++ {
		go func() {
			for {
				select {
				case <-done:
					return
				case m := <-v.in:
					v.check(m)
				}
			}
		}()
	}
}

func (v *verifier) check(m rawMessage) {
	cm, err := wire.DecodeConsensus(m.b)
	if err == nil {
		err = v.message(cm.Msg)
	}
	if err == nil && cm.Block != nil {
		err = v.block(cm)
	}
	if err != nil {
		counters.badMessages.Add(1)
		if errors.Is(err, errSetUnsure) {
			return // dropped; the sender retransmits once the sets agree
		}
		v.e.p.Net.Penalize(m.peer, "consensus message: "+err.Error())
		return
	}
	v.e.post(verifiedMessage{msg: cm.Msg, block: cm.Block})
}

func (v *verifier) block(cm wire.ConsensusMessage) error {
	p := cm.Msg.(*consensus.Proposal)
	id, err := wire.IDOf(cm.Block, types.BlockPartSizeBytes)
	if err != nil {
		return err
	}
	if id != p.Value {
		return errors.New("the block beside a proposal is not the proposed one")
	}
	return nil
}

var errNotValidator = errors.New("signer is not a validator")

// errSetUnsure marks a message that fails verification under the validator
// set this node takes its signer's index from, where an honest sender may
// have signed under another: its height is beyond the sets this node knows,
// or it carries no height (PBFT's VIEW-CHANGE and NEW-VIEW, taken to be at
// the next height) while the validator set changes around this height. The
// message is dropped without blaming the sender: a validator that falls a
// block behind across a change of powers must not be banned by everyone,
// which would keep it from catching up.
var errSetUnsure = errors.New("signed under a validator set this node cannot be sure of")

// message verifies a message's signature and every nested one.
func (v *verifier) message(m consensus.Message) error {
	ctx := v.e.verifying.Load()
	switch m := m.(type) {
	case *consensus.Proposal:
		return v.signed(ctx, m, m.Height, m.Proposer, m.Signature)
	case *consensus.Vote:
		return v.signed(ctx, m, m.Height, m.Validator, m.Signature)
	case *consensus.Checkpoint:
		return v.signed(ctx, m, m.Height, m.Validator, m.Signature)
	case *consensus.ViewChange:
		if err := v.viewChange(ctx, m); err != nil {
			return err
		}
		return v.signedNow(ctx, m, m.Validator, m.Signature)
	case *consensus.NewView:
		for i := range m.ViewChanges {
			if err := v.viewChange(ctx, &m.ViewChanges[i]); err != nil {
				return err
			}
			if err := v.signedNow(ctx, &m.ViewChanges[i], m.ViewChanges[i].Validator, m.ViewChanges[i].Signature); err != nil {
				return err
			}
		}
		for i := range m.PrePrepares {
			p := &m.PrePrepares[i]
			if err := v.signed(ctx, p, p.Height, p.Proposer, p.Signature); err != nil {
				return err
			}
		}
		return v.signedNow(ctx, m, m.Validator, m.Signature)
	}
	return fmt.Errorf("unknown message %T", m)
}

func (v *verifier) viewChange(ctx *verifyContext, vc *consensus.ViewChange) error {
	for i := range vc.Stable.Proof {
		c := &vc.Stable.Proof[i]
		if err := v.signed(ctx, c, c.Height, c.Validator, c.Signature); err != nil {
			return err
		}
	}
	for i := range vc.Prepared {
		pc := &vc.Prepared[i]
		if err := v.signed(ctx, &pc.PrePrepare, pc.PrePrepare.Height, pc.PrePrepare.Proposer, pc.PrePrepare.Signature); err != nil {
			return err
		}
		for j := range pc.Prepares {
			p := &pc.Prepares[j]
			if err := v.signed(ctx, p, p.Height, p.Validator, p.Signature); err != nil {
				return err
			}
		}
	}
	return nil
}

// signedNow checks a message without a height, taken to be signed under
// the set of the next height.
func (v *verifier) signedNow(ctx *verifyContext, m consensus.Message, index int32, sig []byte) error {
	err := v.signed(ctx, m, ctx.last+1, index, sig)
	if err != nil && !errors.Is(err, errSetUnsure) && v.setsChangeNear(ctx) {
		return fmt.Errorf("%w: %w", errSetUnsure, err)
	}
	return err
}

// setsChangeNear tells whether the validator sets of the latest height and
// the next two are not all the same.
func (v *verifier) setsChangeNear(ctx *verifyContext) bool {
	last := v.validatorsAt(ctx, ctx.last)
	if last == nil || ctx.vals == nil || ctx.next == nil {
		return ctx.last > 0
	}
	h := last.Hash()
	return !bytes.Equal(h, ctx.vals.Hash()) || !bytes.Equal(h, ctx.next.Hash())
}

// signed checks that validator index of height's set signed m. Beyond the
// next two heights the set is a guess, and a failure is errSetUnsure.
func (v *verifier) signed(ctx *verifyContext, m consensus.Message, height int64, index int32, sig []byte) error {
	err := v.signedUnder(ctx, m, height, index, sig)
	if err != nil && height > ctx.last+2 {
		return fmt.Errorf("%w: %w", errSetUnsure, err)
	}
	return err
}

func (v *verifier) signedUnder(ctx *verifyContext, m consensus.Message, height int64, index int32, sig []byte) error {
	vals := v.validatorsAt(ctx, height)
	if vals == nil {
		return fmt.Errorf("no validator set for height %d", height)
	}
	_, val := vals.GetByIndex(index)
	if val == nil {
		return errNotValidator
	}
	sb, err := wire.SignBytes(ctx.chainID, m)
	if err != nil {
		return err
	}
	if !val.PubKey.VerifySignature(sb, sig) {
		return fmt.Errorf("bad signature on %T from validator %d at height %d", m, index, height)
	}
	return nil
}

// validatorsAt is the validator set that signs height: known for the next
// two heights, stored for decided ones, and for heights further ahead the
// best guess is the latest known set (a message signed under a set that
// changed is dropped and retransmitted later).
func (v *verifier) validatorsAt(ctx *verifyContext, h int64) *types.ValidatorSet {
	switch {
	case h == ctx.last+1:
		return ctx.vals
	case h >= ctx.last+2:
		return ctx.next
	case h < 1:
		return nil
	}
	if vs, ok := v.cache.Load(h); ok {
		return vs.(*types.ValidatorSet)
	}
	vs, err := v.e.p.States.LoadValidators(h)
	if err != nil {
		return nil
	}
	v.cache.Store(h, vs)
	return vs
}
