package sim

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/bftnode/bftnode/consensus"
)

const defaultMaxEvents = 5_000_000

// Run simulates one seed of one scenario and reports what the checker
// found. It fails only for options it cannot run.
func Run(opts Options) (Result, error) {
	w, err := newWorld(opts)
	if err != nil {
		return Result{}, err
	}
	w.start()
	w.loop()
	w.res.End = w.now
	w.res.Digest = w.digest
	return *w.res, nil
}

func newWorld(opts Options) (*world, error) {
	if opts.Protocol.New == nil {
		return nil, errors.New("sim: Options.Protocol.New is nil: pass a protocol with a constructor")
	}
	if !KnownScenario(opts.Scenario) {
		return nil, fmt.Errorf("sim: unknown scenario %q: use one of %v or %q", opts.Scenario, Families, StressScenario)
	}
	maxValidators := 100
	if opts.Links != nil {
		if err := opts.Links.Validate(); err != nil {
			return nil, err
		}
		maxValidators = MaxScaleValidators
	}
	if opts.Validators < 0 || opts.Validators > maxValidators || opts.Byzantine < 0 {
		return nil, fmt.Errorf("sim: %d validators, %d Byzantine: need 1..%d validators (%d with Links) and a non-negative Byzantine count",
			opts.Validators, opts.Byzantine, maxValidators, MaxScaleValidators)
	}
	w := &world{
		opts:   opts,
		proto:  opts.Protocol,
		rng:    rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
		res:    &Result{Protocol: opts.Protocol.Name, Scenario: opts.Scenario, Seed: opts.Seed, opts: opts},
		values: map[consensus.ID]valueInfo{},
		splits: map[slot]split{},
		digest: 14695981039346656037,
	}
	w.check = newChecker(w)
	if opts.Links != nil {
		w.res.Scale = &ScaleStats{MessagesByKind: map[string]int{}, BytesByKind: map[string]int64{}}
	}
	if err := w.setupValidators(); err != nil {
		return nil, err
	}
	w.setupNodes()
	w.plan = w.makePlan(opts.Scenario)
	return w, nil
}

// setupValidators draws n and the powers and builds the genesis set.
func (w *world) setupValidators() error {
	n := w.opts.Validators
	if n == 0 && w.opts.Scenario == LaggardScenario {
		n = laggardValidators
	}
	if n == 0 {
		n = []int{4, 7, 10}[w.rng.IntN(3)]
	}
	profile := w.opts.Powers
	if profile == "" && (w.opts.Scenario == StressScenario || w.opts.Scenario == CensorScenario) {
		// Silencing a primary that holds a third of the power would stop
		// any protocol, so the stress runs equal powers unless told.
		profile = "equal"
	}
	if profile == "" {
		profile = []string{"equal", "random", "heavy"}[w.rng.IntN(3)]
	}
	powers := make([]int64, n)
	for i := range powers {
		switch profile {
		case "equal":
			powers[i] = 10
		case "random":
			powers[i] = 1 + w.rng.Int64N(100)
		case "heavy":
			powers[i] = 10
			if i == 0 {
				powers[i] = int64(10 * float64(n-1) * (0.5 + 0.4*w.rng.Float64()))
			}
		default:
			return fmt.Errorf("sim: unknown power profile %q: use equal, random or heavy", profile)
		}
	}
	vals := make([]consensus.Validator, n)
	for i := range vals {
		key := sha256.Sum256(fmt.Appendf(nil, "bftsim validator %d", i))
		vals[i] = consensus.Validator{Address: key[:20], PubKey: key[:], Power: powers[i]}
	}
	genesis, err := consensus.NewValidatorSet(vals)
	if err != nil {
		return fmt.Errorf("sim: genesis validator set: %w", err)
	}
	w.genesis = genesis
	w.valsCache = []*consensus.ValidatorSet{genesis, genesis}
	w.keys = newKeyring(w.opts.Seed, n)
	for _, v := range genesis.Validators {
		w.res.Powers = append(w.res.Powers, v.Power)
	}
	w.lastProposer = genesis.Proposer
	return nil
}

// chooseByzantine picks the Byzantine validators: exactly Options.Byzantine
// if set, else as many as keep their power below 1/3 for the Byzantine
// families and none for the others.
func (w *world) chooseByzantine() []int32 {
	n := w.genesis.Size()
	order := w.rng.Perm(n)
	want := w.opts.Byzantine
	if want == 0 && w.opts.Scenario == CensorScenario {
		return w.censors()
	}
	if want == 0 && !w.byzantineFamily() {
		return nil
	}
	if want == 0 && w.chance(0.5) {
		// Half the time the first leaders go first: validator 0 is PBFT's
		// primary of view 0, the genesis proposer Tendermint's of height 1.
		for _, lead := range []int{int(w.genesis.Proposer), 0} {
			at := slices.Index(order, lead)
			order = append([]int{lead}, slices.Delete(order, at, at+1)...)
		}
	}
	var byz []int32
	var power int64
	for _, i := range order {
		p := w.genesis.Power(int32(i))
		if want > 0 && len(byz) < min(want, n) || want == 0 && (power+p)*3 < w.genesis.TotalPower() {
			byz = append(byz, int32(i))
			power += p
		}
	}
	slices.Sort(byz)
	return byz
}

func (w *world) byzantineFamily() bool {
	return w.opts.Scenario == "mixed" || familyBehaviour(w.opts.Scenario) != 0
}

// behaviourFor picks what a Byzantine validator does.
func (w *world) behaviourFor() behaviour {
	if b := familyBehaviour(w.opts.Scenario); b != 0 {
		return b
	}
	all := []behaviour{behaveEquivocate, behaveWithhold, behaveReplay, behaveMutate, behaveInvalid, behaveTwins}
	return all[w.rng.IntN(len(all))]
}

// setupNodes creates a node per validator and a second one per twin.
func (w *world) setupNodes() {
	n := w.genesis.Size()
	w.honestVal = make([]bool, n)
	for i := range w.honestVal {
		w.honestVal[i] = true
	}
	kinds := make([]behaviour, n)
	for _, v := range w.chooseByzantine() {
		w.honestVal[v] = false
		kinds[v] = w.behaviourFor()
		w.res.Byzantine = append(w.res.Byzantine, v)
		w.res.Behaviours = append(w.res.Behaviours, kinds[v].String())
	}
	w.byVal = make([][]int, n)
	for v := 0; v < n; v++ {
		w.addNode(int32(v))
	}
	for v := 0; v < n; v++ {
		if kinds[v] == behaveTwins {
			w.addNode(int32(v))
		}
	}
	for _, nd := range w.nodes {
		if k := kinds[nd.val]; k != 0 && k != behaveTwins {
			nd.byz = w.newByzantine(k, nd.slot)
		}
	}
}

func (w *world) addNode(val int32) {
	nd := &node{
		w:       w,
		slot:    len(w.nodes),
		val:     val,
		addr:    w.genesis.Validators[val].Address,
		honest:  w.honestVal[val],
		led:     newLedger(),
		signer:  newSigner(w.keys, val),
		decided: map[int64]consensus.ID{},
	}
	w.nodes = append(w.nodes, nd)
	w.byVal[val] = append(w.byVal[val], nd.slot)
}

// start boots every node, schedules the faults and the client load.
func (w *world) start() {
	w.schedulePlan()
	w.live.healAt = w.plan.healAt
	w.live.deadline = w.plan.healAt + w.proto.livenessBound()
	w.res.HealedAt = w.plan.healAt
	if w.opts.Scenario == StressScenario {
		w.startStress()
	}
	for _, n := range w.nodes {
		w.after(w.between(0, 5*time.Millisecond), n.boot)
		if n.byz != nil && n.byz.kind == behaveReplay {
			n.byz.replayTicks(n)
		}
	}
	if w.txFamily() {
		w.startTxs()
		return
	}
	if w.opts.Links != nil {
		w.startScale()
		return
	}
	w.clientLoad()
}

// clientLoad makes transactions arrive now and then; every live node's
// mempool learns of them after a gossip delay.
func (w *world) clientLoad() {
	w.after(w.between(20*time.Millisecond, 300*time.Millisecond), func() {
		for _, n := range w.nodes {
			w.after(w.net.delay(w), func() {
				if n.alive {
					n.deliver(consensus.TxsAvailable{})
				}
			})
		}
		w.clientLoad()
	})
}

// loop runs events until the run is done, broke or ran out of time.
func (w *world) loop() {
	maxEvents := w.opts.MaxEvents
	if maxEvents == 0 {
		maxEvents = defaultMaxEvents
	}
	for !w.stop && !w.live.done {
		ev, ok := w.queue.next()
		if !ok {
			w.missedDeadline("nothing left to happen")
			return
		}
		if ev.at > w.live.deadline {
			w.now = w.live.deadline
			w.deadlinePassed()
			return
		}
		w.now = ev.at
		w.res.Events++
		w.mix(uint64(ev.at))
		ev.run()
		if w.res.Events >= maxEvents {
			w.missedDeadline(fmt.Sprintf("event budget of %d exhausted", maxEvents))
			return
		}
	}
}

func (w *world) deadlinePassed() {
	if w.stress != nil {
		w.stress.deadlinePassed(w)
		return
	}
	w.missedDeadline("liveness bound passed")
}
