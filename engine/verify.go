package engine

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire"
	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/batch"
	"github.com/cometbft/cometbft/types"
)

// verifyContext is what verifiers need to know of the chain; the driver
// replaces it after every executed block.
type verifyContext struct {
	chainID string
	last    int64               // latest executed height
	vals    *types.ValidatorSet // validators of last+1
	next    *types.ValidatorSet // validators of last+2
	// extHeight is the chain's vote_extensions_enable_height (0: never).
	extHeight int64
	// changedAt is the latest height up to last+2 whose validator set
	// differs from the one before (0: none known).
	changedAt int64
}

func (e *Engine) refreshVerifyContext() {
	ctx := &verifyContext{chainID: e.state.ChainID, last: e.state.LastBlockHeight,
		vals: e.state.Validators, next: e.state.NextValidators,
		extHeight: e.state.ConsensusParams.ABCI.VoteExtensionsEnableHeight}
	ctx.changedAt = latestChange(e.verifying.Load(), ctx, e.state.LastValidators)
	e.verifying.Store(ctx)
}

// latestChange is the latest height up to ctx.last+2 whose validator set
// differs from the one before: carried over from prev, the context of the
// block before, plus the change this block brought; without prev, what
// the sets of the latest height and the next two show.
func latestChange(prev, ctx *verifyContext, lastVals *types.ValidatorSet) int64 {
	differ := func(a, b *types.ValidatorSet) bool {
		return a != nil && b != nil && a.Size() > 0 && b.Size() > 0 && !bytes.Equal(a.Hash(), b.Hash())
	}
	if prev != nil && prev.chainID == ctx.chainID && prev.last+1 == ctx.last {
		if differ(prev.next, ctx.next) {
			return ctx.last + 2
		}
		return prev.changedAt
	}
	switch {
	case differ(ctx.vals, ctx.next):
		return ctx.last + 2
	case differ(lastVals, ctx.vals):
		return ctx.last + 1
	}
	return 0
}

// verifier checks peers' messages on the goroutine each came in on (the
// peer's reader), so signature checks never hold up the driver and spread
// over the peers without a hand-off; the driver applies them one at a
// time, in the order they were verified. A peer whose messages are slow to
// check only slows its own connection.
type verifier struct {
	e     *Engine
	cache sync.Map // height -> *types.ValidatorSet of decided heights
}

func newVerifier(e *Engine) *verifier { return &verifier{e: e} }

// HandleConsensus verifies a message from the consensus channel and hands
// it to the driver, which never blocks the caller: when the driver is
// behind, the message is dropped (peers retransmit).
func (e *Engine) HandleConsensus(peer string, msg []byte) {
	select {
	case <-e.done:
		return
	default:
	}
	e.verify.check(peer, msg)
}

func (v *verifier) check(peer string, msg []byte) {
	cm, err := wire.DecodeConsensus(msg)
	if err == nil {
		err = v.message(cm.Msg)
	}
	if errors.Is(err, errUnknownSet) || errors.Is(err, errUnextended) {
		counters.droppedEvents.Add(1)
		return // not the peer's fault: this node is behind, or the sender's app is past the height
	}
	if err == nil && cm.Block != nil {
		err = v.block(cm)
	}
	if err != nil {
		counters.badMessages.Add(1)
		v.e.p.Net.Penalize(peer, "consensus message: "+err.Error())
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

// errUnknownSet marks a message that failed verification against a
// validator set this node only guesses: heights beyond the next two, where
// the node may be behind a change of validators, and messages without a
// height (PBFT's VIEW-CHANGE and NEW-VIEW) soon after a change of the set
// or while peers are ahead (see addNow). The sender is not blamed: banning an honest validator
// that is a block apart across a change of powers would keep it from ever
// catching up.
var errUnknownSet = errors.New("signed for a height whose validators this node does not know yet")

// errUnextended marks a well-signed precommit for a block that carries no
// vote extension at a height that enables them. Honest validators send
// such precommits: ExtendVote answers only for the height the application
// is about to execute, so a precommit for a height the sender's
// application has left (PBFT's new view re-commits every decided height
// above the stable checkpoint) goes out unextended. It cannot count where
// an extension is due, so it is dropped; blaming the sender would get
// honest validators banned by each other after every view change.
var errUnextended = errors.New("a precommit without a vote extension where the chain enables them")

// message verifies a message's signature and every nested one. A message
// with several signatures (a VIEW-CHANGE with its certificates, a
// NEW-VIEW) is checked with one batch verification.
func (v *verifier) message(m consensus.Message) error {
	b := &sigBatch{v: v, ctx: v.e.verifying.Load()}
	last := b.ctx.last
	switch m := m.(type) {
	case *consensus.Proposal:
		b.add(m, m.Height, m.Proposer, m.Signature)
	case *consensus.Vote:
		b.add(m, m.Height, m.Validator, m.Signature)
		b.addExtension(m)
	case *consensus.Checkpoint:
		b.add(m, m.Height, m.Validator, m.Signature)
	case *consensus.ViewChange:
		b.viewChange(m, last)
	case *consensus.NewView:
		for i := range m.ViewChanges {
			b.viewChange(&m.ViewChanges[i], last)
		}
		for i := range m.PrePrepares {
			p := &m.PrePrepares[i]
			b.add(p, p.Height, p.Proposer, p.Signature)
		}
		b.addNow(m, m.Validator, m.Signature)
	default:
		return fmt.Errorf("unknown message %T", m)
	}
	return b.verify()
}

// sigBatch collects the signatures of one message and its nested ones.
type sigBatch struct {
	v       *verifier
	ctx     *verifyContext
	err     error
	checks  []sigCheck
	guessed bool // some height's validator set is only a guess
	// unextended: a precommit lacks the extension its height calls for.
	unextended bool
}

type sigCheck struct {
	key      crypto.PubKey
	msg, sig []byte
}

func (b *sigBatch) viewChange(vc *consensus.ViewChange, last int64) {
	for i := range vc.Stable.Proof {
		c := &vc.Stable.Proof[i]
		b.add(c, c.Height, c.Validator, c.Signature)
	}
	for i := range vc.Prepared {
		pc := &vc.Prepared[i]
		b.add(&pc.PrePrepare, pc.PrePrepare.Height, pc.PrePrepare.Proposer, pc.PrePrepare.Signature)
		for j := range pc.Prepares {
			p := &pc.Prepares[j]
			b.add(p, p.Height, p.Validator, p.Signature)
		}
	}
	b.addNow(vc, vc.Validator, vc.Signature)
}

// addNow queues the check of a message without a height, taken to be
// signed under the set of the next height. When powers change, validator
// indexes move (sets are sorted by power); a sender behind signs with its
// index in the set of its own next height, which can name another
// validator here, and so does a sender ahead past a change this node has
// not executed yet. So the set is only a guess while the sets of the
// latest height and the next two differ, for changeGrace heights after a
// change (a validator that fell behind catches up by block sync meanwhile;
// banning it would keep it from doing so), and while peers report heights
// whose sets this node does not know.
func (b *sigBatch) addNow(m consensus.Message, index int32, sig []byte) {
	ctx := b.ctx
	// changedAt covers a change at the next two heights too, so this is
	// also true while the sets of the latest height and the next two differ.
	recent := ctx.changedAt > 0 && ctx.last+1-ctx.changedAt < changeGrace
	if recent || b.v.e.peerTop.Load() >= ctx.last+2 {
		b.guessed = true
	}
	b.add(m, ctx.last+1, index, sig)
}

// changeGrace is how many heights after a change of the validator set a
// VIEW-CHANGE or NEW-VIEW that fails verification is dropped without
// blaming its sender, who may be that far behind.
const changeGrace = 64

// add queues the check that validator index of height's set signed m.
func (b *sigBatch) add(m consensus.Message, height int64, index int32, sig []byte) {
	if b.err != nil {
		return
	}
	if height > b.ctx.last+2 {
		b.guessed = true
	}
	vals := b.v.validatorsAt(b.ctx, height)
	if vals == nil {
		b.err = fmt.Errorf("no validator set for height %d", height)
		return
	}
	_, val := vals.GetByIndex(index)
	if val == nil {
		b.err = errNotValidator
		return
	}
	sb, err := wire.SignBytes(b.ctx.chainID, m)
	if err != nil {
		b.err = err
		return
	}
	b.checks = append(b.checks, sigCheck{key: val.PubKey, msg: sb, sig: sig})
}

// addExtension queues the check of a precommit's vote extension
// signature. From the enable height on a precommit for a block must carry
// one (the application's VerifyVoteExtension is asked by the driver,
// which knows the application's height); below it, or on a precommit for
// nil, an extension has no place.
func (b *sigBatch) addExtension(v *consensus.Vote) {
	if b.err != nil {
		return
	}
	wanted := v.Type == consensus.Precommit && v.Value != consensus.Nil && extensionsEnabled(b.ctx.extHeight, v.Height)
	switch {
	case !wanted && (len(v.Extension) > 0 || len(v.ExtensionSignature) > 0):
		b.err = fmt.Errorf("a %v at height %d carries a vote extension; the chain enables them from height %d", v.Type, v.Height, b.ctx.extHeight)
		return
	case !wanted:
		return
	case len(v.ExtensionSignature) == 0 && len(v.Extension) == 0:
		b.unextended = true // dropped once its own signature verifies (errUnextended)
		return
	case len(v.ExtensionSignature) == 0:
		b.err = fmt.Errorf("a precommit at height %d carries a vote extension but no extension signature; the chain enables extensions from height %d", v.Height, b.ctx.extHeight)
		return
	}
	vals := b.v.validatorsAt(b.ctx, v.Height)
	if vals == nil {
		b.err = fmt.Errorf("no validator set for height %d", v.Height)
		return
	}
	_, val := vals.GetByIndex(v.Validator)
	if val == nil {
		b.err = errNotValidator
		return
	}
	sb, err := wire.ExtensionSignBytes(b.ctx.chainID, v)
	if err != nil {
		b.err = err
		return
	}
	b.checks = append(b.checks, sigCheck{key: val.PubKey, msg: sb, sig: v.ExtensionSignature})
}

// verify checks every queued signature: one by one for a few, as a batch
// (about twice as fast per signature) for more.
func (b *sigBatch) verify() error {
	err := b.verifyAll()
	if err != nil && b.guessed {
		return fmt.Errorf("%w: %v", errUnknownSet, err)
	}
	if err == nil && b.unextended {
		return errUnextended
	}
	return err
}

func (b *sigBatch) verifyAll() error {
	if b.err != nil {
		return b.err
	}
	if len(b.checks) >= 4 {
		if bv, ok := batch.CreateBatchVerifier(b.checks[0].key); ok {
			added := true
			for _, c := range b.checks {
				if bv.Add(c.key, c.msg, c.sig) != nil {
					added = false
					break
				}
			}
			if added {
				if ok, _ := bv.Verify(); ok {
					return nil
				}
				return errors.New("a signature in the message does not verify")
			}
		}
	}
	for _, c := range b.checks {
		if !c.key.VerifySignature(c.msg, c.sig) {
			return errors.New("a signature in the message does not verify")
		}
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
