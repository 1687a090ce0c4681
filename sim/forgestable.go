package sim

import (
	"bytes"

	"github.com/bftnode/bftnode/consensus"
)

// stableForgery is the forgedsync family's PBFT VIEW-CHANGE forgery [§4.4]:
// in odd views a forger claims as stable a checkpoint twice as high as the
// highest one that honest validators with more than 2/3 of the power signed,
// with that digest, and proves it with those honest CHECKPOINTs, which are
// for another height. A replica that checks every proof checkpoint's height
// and digest refuses the view change; one that does not adopts a stable
// checkpoint nobody reached, drops the sequence numbers below it and stalls
// (or, if it executed that height, finds that its own app hash differs).
// Doubling keeps the claimed height a multiple of the checkpoint interval,
// as checkStable demands. In even views the proof is the forgers' own
// CHECKPOINTs repeated instead (see repeatedProof). The view's parity, not
// the random source, picks the forgery, so the family's other schedules
// stay as they were.
type stableForgery struct {
	// checkpoints are the honest CHECKPOINTs on the wire, per height and
	// validator.
	checkpoints map[int64]map[int32]*consensus.Checkpoint
	// prevotes are the honest prevotes (PBFT: PREPAREs) on the wire, per
	// height, round and value, by validator: what a forger serves as a
	// commit (see prevotesAsCommit).
	prevotes map[slotKey]map[int32]consensus.Vote
	// own are each forger's previous and latest own checkpoint heights.
	own map[int32][2]int64
}

// slotKey names the votes of one value in one round of one height.
type slotKey struct {
	height int64
	round  int32
	value  consensus.ID
}

func newStableForgery() *stableForgery {
	return &stableForgery{checkpoints: map[int64]map[int32]*consensus.Checkpoint{}, prevotes: map[slotKey]map[int32]consensus.Vote{}, own: map[int32][2]int64{}}
}

// note keeps an honest validator's own CHECKPOINT and prevote, once per
// validator and height (and round and value, for prevotes).
func (f *stableForgery) note(w *world, from int, m consensus.Message) {
	sender := w.nodes[from]
	if v, ok := m.(*consensus.Vote); ok && v.Type == consensus.Prevote && sender.honest && v.Validator == sender.val {
		k := slotKey{v.Height, v.Round, v.Value}
		if f.prevotes[k] == nil {
			f.prevotes[k] = map[int32]consensus.Vote{}
		}
		if _, dup := f.prevotes[k][v.Validator]; !dup {
			f.prevotes[k][v.Validator] = cloneVote(*v)
		}
		return
	}
	cp, ok := m.(*consensus.Checkpoint)
	if !ok || !sender.honest || cp.Validator != sender.val {
		return
	}
	byVal := f.checkpoints[cp.Height]
	if byVal == nil {
		byVal = map[int32]*consensus.Checkpoint{}
		f.checkpoints[cp.Height] = byVal
	}
	if _, dup := byVal[cp.Validator]; !dup {
		c := cloneCheckpoint(*cp)
		byVal[cp.Validator] = &c
	}
}

// forge is forger n's version of its own message m: a VIEW-CHANGE of an odd
// view with the forged stable checkpoint described above, anything else
// (or a view change it has nothing to forge from) unchanged.
func (f *stableForgery) forge(n *node, m consensus.Message) consensus.Message {
	vc, ok := m.(*consensus.ViewChange)
	if f == nil || !ok || vc.Validator != n.val {
		return m
	}
	if vc.View%2 == 0 {
		return f.repeatedProof(n, vc)
	}
	heights := sortedKeys(f.checkpoints)
	for i := len(heights) - 1; i >= 0 && heights[i] > vc.Stable.Height; i-- {
		h := heights[i]
		if proof, digest, ok := f.honestQuorum(n.w, h); ok {
			forged := cloneViewChange(*vc)
			forged.Stable = consensus.StableCheckpoint{Height: 2 * h, AppHash: bytes.Clone(digest), Proof: proof}
			forged.Prepared = nil // certificates must lie above the claimed checkpoint
			n.w.tracef("n%d forges a stable checkpoint at height %d from the checkpoints of height %d in its view change to view %d", n.slot, 2*h, h, vc.View)
			return resign(n, vc, &forged)
		}
	}
	return m
}

// repeatedProof is forger n's VIEW-CHANGE vc (to an even view) claiming
// as stable the lowest height above its own stable checkpoint that honest
// validators checkpointed (so a multiple of the interval), with a made-up
// digest, proved by the forgers' own CHECKPOINTs for it,
// repeated in turn until they count more than 2/3 of the power, at most
// one per validator in number [§4.3, §4.4]. A replica that counts each
// validator once refuses the view change (the forgers hold less than 1/3);
// one that counts repeats adopts a checkpoint nobody signed honestly,
// and halts when its own execution of that height disagrees (or stalls
// short of it). It returns vc unchanged when repeats cannot make a quorum
// or no honest checkpoint lies above vc's.
func (f *stableForgery) repeatedProof(n *node, vc *consensus.ViewChange) consensus.Message {
	w := n.w
	vals := w.genesis
	var height int64
	for _, h := range sortedKeys(f.checkpoints) {
		if h > vc.Stable.Height {
			height = h
			break
		}
	}
	if height == 0 {
		return vc
	}
	forgers := append([]*node{n}, w.byzantineExcept(n)...)
	var proof []consensus.Checkpoint
	var power int64
	for i := 0; !vals.IsQuorum(power) && len(proof) < vals.Size(); i++ {
		b := forgers[i%len(forgers)]
		signed, err := b.signer.signUnprotected(&consensus.Checkpoint{Height: height, AppHash: []byte("repeated"), Validator: b.val})
		if err != nil {
			return vc
		}
		proof = append(proof, *signed.(*consensus.Checkpoint))
		power += vals.Power(b.val)
	}
	if !vals.IsQuorum(power) {
		return vc
	}
	forged := cloneViewChange(*vc)
	forged.Stable = consensus.StableCheckpoint{Height: height, AppHash: []byte("repeated"), Proof: proof}
	forged.Prepared = nil // certificates must lie above the claimed checkpoint
	w.tracef("n%d claims a stable checkpoint at height %d proved by %d repeated forger checkpoints in its view change to view %d", n.slot, height, len(proof), vc.View)
	return resign(n, vc, &forged)
}

// honestQuorum returns honest CHECKPOINTs of height h for one digest whose
// power exceeds 2/3, in validator order, and that digest.
func (f *stableForgery) honestQuorum(w *world, h int64) ([]consensus.Checkpoint, []byte, bool) {
	byVal := f.checkpoints[h]
	for _, v := range sortedKeys(byVal) {
		digest := byVal[v].AppHash
		var proof []consensus.Checkpoint
		var power int64
		for _, u := range sortedKeys(byVal) {
			if cp := byVal[u]; bytes.Equal(cp.AppHash, digest) {
				proof = append(proof, cloneCheckpoint(*cp))
				power += w.genesis.Power(u)
			}
		}
		if w.genesis.IsQuorum(power) {
			return proof, digest, true
		}
	}
	return nil, nil, false
}

// forgePrepared is forger n's VIEW-CHANGE vc with a forged certificate in
// its P set: for the highest sequence it holds a real certificate for (the
// one in flight), or the first above its stable checkpoint if it holds
// none (a replica certifies a sequence only once it executed the one
// before, so a forger often holds none), a fresh value pre-prepared by n
// as the primary of the latest earlier view it leads, "prepared" by n's
// own PREPARE (half the time) followed by the other Byzantine validators'
// PREPAREs, each repeated. Primaries do not
// prepare and a validator counts once [§4.2], so a replica that checks the
// certificate refuses the view change; one that counts the primary or a
// repeat, or stops checking after one PREPARE, lets the fresh value win
// that sequence in the new view's O over a value that may have committed.
// In odd views a forger that holds a certificate of its own pre-prepare
// re-certifies it for a fresh value instead (see recertified).
func forgePrepared(n *node, vc *consensus.ViewChange) consensus.Message {
	w := n.w
	size := int32(len(w.genesis.Validators))
	if size == 0 {
		return vc
	}
	if vc.View%2 == 1 { // the view, not the random source, picks
		if forged, ok := recertified(n, vc); ok {
			return forged
		}
	}
	view := vc.View - 1
	for view >= 0 && view%size != n.val {
		view--
	}
	last := vc.Stable.Height + 1
	for _, pc := range vc.Prepared {
		last = max(last, pc.PrePrepare.Height)
	}
	if view < 0 {
		return vc
	}
	value := w.newValue(n.val, last, true)
	pp := consensus.Proposal{Height: last, Round: view, POLRound: -1, Value: value, Proposer: n.val}
	signedPP, err := n.signer.signUnprotected(&pp)
	if err != nil {
		return vc
	}
	// Half the time (when another Byzantine validator can prepare) the
	// primary's own PREPARE is left out, so that only the repeats make the
	// power: a replica that checks the primary first refuses the other
	// forgery before it counts a repeat.
	signers := append([]*node{n}, w.byzantineExcept(n)...)
	if len(signers) > 1 && w.rng.IntN(2) == 0 {
		signers = signers[1:]
	}
	var prepares []consensus.Vote
	for i, b := range signers {
		signed, err := b.signer.signUnprotected(&consensus.Vote{Type: consensus.Prevote, Height: last, Round: view, Value: value, Validator: b.val})
		if err != nil {
			return vc
		}
		copies := int(size) // the primary's own PREPARE once, the others' over and over
		if b == n && i == 0 {
			copies = 1
		}
		for range copies {
			prepares = append(prepares, *signed.(*consensus.Vote))
		}
	}
	prepares = prepares[:min(len(prepares), int(size))]
	forged := cloneViewChange(*vc)
	cert := consensus.PreparedCert{PrePrepare: *signedPP.(*consensus.Proposal), Prepares: prepares}
	if len(forged.Prepared) == 0 {
		forged.Prepared = []consensus.PreparedCert{cert}
	}
	for i := range forged.Prepared {
		if forged.Prepared[i].PrePrepare.Height == last {
			forged.Prepared[i] = cert
		}
	}
	w.tracef("n%d forges a certificate for %s at (%d, %d) in its view change to view %d", n.slot, value, view, last, vc.View)
	return resign(n, vc, &forged)
}

// recertified is forger n's VIEW-CHANGE vc whose real certificate for a
// pre-prepare n signed as primary now certifies a fresh value: n signs a
// pre-prepare of the same sequence and view for it and keeps the honest
// PREPAREs, which are for the value it replaced. A replica that checks
// every PREPARE's value against the pre-prepare's [§4.2: PREPAREs match
// the pre-prepare's view, sequence number and digest] refuses the view
// change; one that does not lets the fresh value win that sequence in the
// new view's O over a value that may have committed. ok is false when vc
// holds no certificate of n's own pre-prepare.
func recertified(n *node, vc *consensus.ViewChange) (consensus.Message, bool) {
	for i, pc := range vc.Prepared {
		if pc.PrePrepare.Proposer != n.val || pc.PrePrepare.Value == consensus.Nil {
			continue
		}
		pp := pc.PrePrepare
		pp.Value = n.w.newValue(n.val, pp.Height, true)
		signed, err := n.signer.signUnprotected(&pp)
		if err != nil {
			return nil, false
		}
		forged := cloneViewChange(*vc)
		forged.Prepared[i] = consensus.PreparedCert{PrePrepare: *signed.(*consensus.Proposal), Prepares: cloneVotes(pc.Prepares)}
		n.w.tracef("n%d recertifies (%d, %d) for %s with the PREPAREs for %s in its view change to view %d",
			n.slot, pp.Round, pp.Height, pp.Value, pc.PrePrepare.Value, vc.View)
		return resign(n, vc, &forged), true
	}
	return nil, false
}

// byzantineExcept is every Byzantine node but n.
func (w *world) byzantineExcept(n *node) []*node {
	var out []*node
	for _, o := range w.nodes {
		if !o.honest && o != n {
			out = append(out, o)
		}
	}
	return out
}

// aheadCheckpoint is the CHECKPOINT forger n sends besides its real one cp
// (nil for any other message): one at eight times cp's height, far above
// every honest replica's window (the simulations' window is four
// checkpoint intervals). It is one validator's, so a replica that needs
// more than 2/3 of the power for one height and digest before it adopts a
// checkpoint from above its window [§4.3] ignores it; one that does not
// jumps to a height nobody reached. Its digest is made up and every forger
// sends one, but in every fifth seed (lowerTwins) it carries cp's digest
// and only the first forger sends it: the others send lower twins instead
// (see lowerTwin), which a far checkpoint of theirs would hide (a replica
// keeps only each validator's highest checkpoint above its window). The
// seed, not the random source, picks, so the other seeds run as before.
func (f *stableForgery) aheadCheckpoint(n *node, m consensus.Message) consensus.Message {
	cp, ok := m.(*consensus.Checkpoint)
	if f == nil || !ok || cp.Validator != n.val || (n.w.lowerTwins() && forgerRank(n) > 0) {
		return nil
	}
	digest := []byte("forged")
	if n.w.lowerTwins() {
		digest = bytes.Clone(cp.AppHash)
	}
	forged := consensus.Checkpoint{Height: 8 * cp.Height, AppHash: digest, Validator: n.val}
	signed, err := n.signer.signUnprotected(&forged)
	if err != nil {
		return nil
	}
	n.w.tracef("n%d forges a checkpoint at height %d", n.slot, forged.Height)
	return signed
}

// lowerTwins tells whether the forgers other than the first send lower
// twins (see lowerTwin): in every fifth seed.
func (w *world) lowerTwins() bool { return w.opts.Seed%5 == 0 }

// forgerRank is n's place among the Byzantine nodes, by slot.
func forgerRank(n *node) int {
	rank := 0
	for _, o := range n.w.byzantineExcept(n) {
		if o.slot < n.slot {
			rank++
		}
	}
	return rank
}

// lowerTwin is, in every fifth seed, for the own CHECKPOINT cp of a forger other
// than the first (nil otherwise, or before its second checkpoint height), one at the
// forger's previous checkpoint height with cp's digest; the forger sends
// it instead of cp to the replicas that have not executed cp's height
// (twinFor). A replica that fetches blocks beyond its window holds, per
// validator, the honest CHECKPOINTs of cp's height and this one, of one
// digest and two heights; once it executed the lower height it may adopt
// a checkpoint there [§4.3]. One that weighed support by digest without
// the height would adopt the lower height with cp's digest, proved by the
// honest CHECKPOINTs of cp's height, and halt: its own hash there differs.
func (f *stableForgery) lowerTwin(n *node, m consensus.Message) consensus.Message {
	cp, ok := m.(*consensus.Checkpoint)
	if f == nil || !ok || cp.Validator != n.val || !n.w.lowerTwins() || forgerRank(n) == 0 {
		return nil
	}
	own := f.own[n.val]
	if cp.Height > own[1] {
		own = [2]int64{own[1], cp.Height}
		f.own[n.val] = own
	}
	if own[1] != cp.Height || own[0] == 0 {
		return nil
	}
	twin := consensus.Checkpoint{Height: own[0], AppHash: bytes.Clone(cp.AppHash), Validator: n.val}
	signed, err := n.signer.signUnprotected(&twin)
	if err != nil {
		return nil
	}
	n.w.tracef("n%d sends the replicas behind it its checkpoint digest of height %d at height %d", n.slot, cp.Height, own[0])
	return signed
}

// twinCheckpoint is, for forger n's own CHECKPOINT, one for the same
// height with a made-up digest (nil for any other message); the forger
// sends it instead of the real one to the replicas that have not executed
// that height (twinFor), the real one to the others. Honest validators
// sign that height too, so a replica far enough behind for the height to
// lie above its window holds, per validator, checkpoints of one height and
// two digests. One that counted a checkpoint's support by height alone
// would adopt the made-up digest as stable with the honest CHECKPOINTs as
// its proof [§4.3]; counting by height and digest, it adopts the honest one.
func (f *stableForgery) twinCheckpoint(n *node, m consensus.Message) consensus.Message {
	cp, ok := m.(*consensus.Checkpoint)
	if f == nil || !ok || cp.Validator != n.val || cp.Height == 0 {
		return nil
	}
	twin := consensus.Checkpoint{Height: cp.Height, AppHash: []byte("twin"), Validator: n.val}
	signed, err := n.signer.signUnprotected(&twin)
	if err != nil {
		return nil
	}
	n.w.tracef("n%d sends a made-up twin of its checkpoint at height %d to the replicas behind it", n.slot, cp.Height)
	return signed
}

// twinFor tells whether the replica in slot s gets the twin of a
// checkpoint of height h: it has not executed h. The forger sees every
// replica's progress, as an adversary that watches the network would.
func (w *world) twinFor(s int, h int64) bool { return w.nodes[s].led.executed < h }
