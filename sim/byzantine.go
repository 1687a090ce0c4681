package sim

import (
	"time"

	"github.com/bftnode/bftnode/consensus"
)

// behaviour is what a Byzantine validator does.
type behaviour uint8

const (
	// behaveEquivocate: as proposer, different values to different peers;
	// as voter, votes that follow the same split, or a conflicting vote to
	// part of the peers.
	behaveEquivocate behaviour = iota + 1
	// behaveWithhold: silent, or sends only to some peers.
	behaveWithhold
	// behaveReplay: resends old messages (its own and others') to peers.
	behaveReplay
	// behaveMutate: resends its messages with round/view (checkpoint:
	// height) shifted by one, re-signed, and tries forging other signers.
	behaveMutate
	// behaveInvalid: proposes values the application rejects.
	behaveInvalid
	// behaveTwins: two honest nodes share the validator's key.
	behaveTwins
	// behaveLock: votes only for values the Byzantine validators propose
	// and replaces re-proposals of locked values by fresh ones (see
	// lockAttack).
	behaveLock
	// behaveStalePOL: behaveLock, re-proposing with stale or forged POL
	// rounds (see StalePOLScenario).
	behaveStalePOL
	// behaveSchedule: runs another protocol schedule than the chain's
	// (switches earlier, later or never), sending what its cores send.
	behaveSchedule
	// behaveCensor: as proposer, leaves the censored transaction out of
	// every block (see CensorScenario).
	behaveCensor
	// behaveForgeSync: votes as an honest validator but answers block sync
	// with forged blocks (see ForgedSyncScenario).
	behaveForgeSync
)

var behaviourNames = map[behaviour]string{
	behaveEquivocate: "equivocate", behaveWithhold: "withhold", behaveReplay: "replay",
	behaveMutate: "mutate", behaveInvalid: "invalid", behaveTwins: "twins",
	behaveLock: LockScenario, behaveStalePOL: StalePOLScenario, behaveSchedule: ScheduleScenario,
	behaveCensor:    CensorScenario,
	behaveForgeSync: ForgedSyncScenario,
}

func (b behaviour) String() string { return behaviourNames[b] }

// byzantine is the distortion a Byzantine node's driver applies to what
// its (honest) core sends.
type byzantine struct {
	kind behaviour
	// withhold: send nothing, only to audience (by node), or to a random
	// part of the peers per message (audience nil)
	silent   bool
	audience []bool
	// replay: messages seen, to send again later
	history []consensus.Message
	// schedule: the switch height this validator's driver uses (0: never)
	schedule int64
}

// split is an equivocation plan for one height and round, shared by every
// Byzantine validator: value a to the honest validators outside group B,
// value b to those in it.
type split struct {
	a, b consensus.ID
	inB  []bool // by validator
}

func (w *world) newByzantine(kind behaviour, slot int) *byzantine {
	b := &byzantine{kind: kind}
	if kind == behaveSchedule {
		if at := w.proto.switchAt; at > 0 {
			b.schedule = []int64{0, at - 1, at + 1, at + 3}[w.rng.IntN(4)]
		}
	}
	if kind == behaveWithhold {
		mode := w.rng.IntN(3)
		if mode == 1 && len(w.nodes) < 3 {
			mode = 2 // a fixed proper subset needs two peers
		}
		switch mode {
		case 0:
			b.silent = true
		case 1:
			b.audience = make([]bool, len(w.nodes))
			for {
				some, all := false, true
				for i := range b.audience {
					b.audience[i] = i != slot && w.chance(0.5)
					some = some || b.audience[i]
					all = all && (i == slot || b.audience[i])
				}
				if some && !all {
					break
				}
			}
		}
	}
	return b
}

// emit sends m to the nodes in to, distorted.
func (b *byzantine) emit(n *node, to []int, m consensus.Message) {
	w := n.w
	switch b.kind {
	case behaveEquivocate:
		b.equivocate(n, to, m)
		return
	case behaveWithhold:
		for _, s := range to {
			if !b.silent && ((b.audience == nil && w.chance(0.5)) || (b.audience != nil && b.audience[s])) {
				w.send(n.slot, s, m)
			}
		}
		return
	case behaveReplay:
		b.observe(m)
		if w.chance(0.3) {
			b.replayOld(n)
		}
	case behaveMutate:
		b.mutate(n, to, m)
		return
	case behaveLock, behaveStalePOL:
		b.lockEmit(n, to, m)
		return
	case behaveForgeSync:
		m = w.forgery.forge(n, m)
		if ahead := w.forgery.aheadCheckpoint(n, m); ahead != nil {
			for _, s := range to {
				w.send(n.slot, s, ahead)
			}
		}
		twin := w.forgery.lowerTwin(n, m)
		if twin == nil {
			twin = w.forgery.twinCheckpoint(n, m)
		}
		if twin != nil {
			for _, s := range to {
				if w.twinFor(s, m.(*consensus.Checkpoint).Height) {
					w.send(n.slot, s, twin)
				} else {
					w.send(n.slot, s, m)
				}
			}
			return
		}
	}
	for _, s := range to {
		w.send(n.slot, s, m)
	}
}

// observe remembers a message for later replay.
func (b *byzantine) observe(m consensus.Message) {
	if b.kind != behaveReplay {
		return
	}
	const keep = 256
	if len(b.history) < keep {
		b.history = append(b.history, m)
	} else {
		b.history[len(b.history)%keep] = m
	}
}

// replayOld sends a remembered message to a random peer.
func (b *byzantine) replayOld(n *node) {
	w := n.w
	if len(b.history) == 0 || len(w.nodes) < 2 {
		return
	}
	m := b.history[w.rng.IntN(len(b.history))]
	peers := w.peersOf(n.slot)
	w.send(n.slot, peers[w.rng.IntN(len(peers))], m)
}

// replayTicks keeps replaying old messages while the run lasts.
func (b *byzantine) replayTicks(n *node) {
	w := n.w
	w.after(w.between(20*time.Millisecond, 100*time.Millisecond), func() {
		for i := w.rng.IntN(3); i >= 0; i-- {
			b.replayOld(n)
		}
		b.replayTicks(n)
	})
}

// equivocate splits the honest validators: a proposal goes out with one
// value to group B and another to the rest, and every Byzantine vote for
// that height and round follows the split, so each side may see a quorum
// for its own value. Other votes sometimes get a conflicting twin.
func (b *byzantine) equivocate(n *node, to []int, m consensus.Message) {
	w := n.w
	switch msg := m.(type) {
	case *consensus.Proposal:
		if msg.Proposer != n.val {
			break
		}
		key := slot{kindProposal, msg.Height, msg.Round}
		sp, ok := w.splits[key]
		if !ok {
			sp = split{a: msg.Value, b: w.newValue(n.val, msg.Height, true), inB: w.randomHonestGroup()}
			w.splits[key] = sp
		}
		sendSplit(b, n, to, msg, sp, func(c *consensus.Proposal, v consensus.ID) consensus.Message { c.Value = v; return c })
		return
	case *consensus.Vote:
		if msg.Validator != n.val {
			break
		}
		if sp, ok := w.splits[slot{kindProposal, msg.Height, msg.Round}]; ok {
			sendSplit(b, n, to, msg, sp, func(c *consensus.Vote, v consensus.ID) consensus.Message { c.Value = v; return c })
			return
		}
		if w.chance(0.3) {
			alt := cloneVote(*msg)
			alt.Value = consensus.Nil
			if msg.Value == consensus.Nil {
				alt.Value = w.newValue(n.val, msg.Height, true)
			}
			if signed, err := n.signer.signUnprotected(&alt); err == nil {
				for _, s := range to {
					if w.chance(0.5) {
						w.send(n.slot, s, signed)
					} else {
						w.send(n.slot, s, msg)
					}
				}
				return
			}
		}
	}
	for _, s := range to {
		w.send(n.slot, s, m)
	}
}

// sendSplit sends the version of m with value sp.b to group B and the one
// with sp.a to everyone else, each signed by n.
func sendSplit[M interface {
	*consensus.Proposal | *consensus.Vote
	consensus.Message
}](b *byzantine, n *node, to []int, m M, sp split, withValue func(M, consensus.ID) consensus.Message) {
	w := n.w
	versions := [2]consensus.Message{}
	for i, v := range []consensus.ID{sp.a, sp.b} {
		c := cloneMessage(m).(M)
		signed, err := n.signer.signUnprotected(withValue(c, v))
		if err != nil {
			return
		}
		versions[i] = signed
	}
	for _, s := range to {
		if sp.inB[w.nodes[s].val] {
			w.send(n.slot, s, versions[1])
		} else {
			w.send(n.slot, s, versions[0])
		}
	}
}

// randomHonestGroup picks a non-empty proper subset of the honest
// validators.
func (w *world) randomHonestGroup() []bool {
	var honest []int
	for v, h := range w.honestVal {
		if h {
			honest = append(honest, v)
		}
	}
	in := make([]bool, len(w.honestVal))
	if len(honest) < 2 {
		return in
	}
	w.rng.Shuffle(len(honest), func(i, j int) { honest[i], honest[j] = honest[j], honest[i] })
	for _, v := range honest[:1+w.rng.IntN(len(honest)-1)] {
		in[v] = true
	}
	return in
}
