package e2e

// Scenarios is the fault suite, in the order it runs.
var Scenarios = []Scenario{
	{Name: "perturb/one-each", Inject: onePerturbationEach},
	{Name: "perturb/random", Inject: randomPerturbations, ShortOn: []string{"pbft"}},
	{Name: "partition/split-2-2", Inject: split22},
	{Name: "partition/isolate-one", Inject: isolateOne, ShortOn: []string{"tendermint"}},
	{Name: "partition/cycle-halves-ring", Inject: cyclePartitions},
	{Name: "partition/pbft-primary-star", Protocols: []string{"pbft"}, Inject: primaryStar},
	{Name: "crash/fail-points", Options: frequentSnapshots, Inject: crashPoints},
	{Name: "crash/torn-wal-tail", Options: frequentSnapshots, Inject: tornTails},
	{Name: "crash/wal-bit-flip", Inject: bitFlips, ShortOn: []string{"pbft"}},
	{Name: "app/faults", Inject: appFaults},
	{Name: "rpc/abuse", Inject: rpcAbuse, ShortOn: []string{"tendermint"}},
	{Name: "byzantine/validator", Inject: byzantinePhases, Byzantine: []int{byzantineValidator}, Check: checkMisbehaviorReachedApp},
	{Name: "control/twins-fork", Options: func(o *Options) { o.Powers = twinPowers }, Prepare: prepareTwins, Inject: twinsRun, Control: true, Check: checkTwinsForked},
}

// frequentSnapshots makes PBFT checkpoint (and reset its log) every 5
// blocks, as Tendermint does every height, so crashes hit log resets.
func frequentSnapshots(o *Options) {
	if o.Protocol == "pbft" {
		o.ExtraFlags = append(o.ExtraFlags, "--consensus.checkpoint_interval", "5", "--consensus.watermark_window", "10")
	}
}

// appliesTo reports whether s runs for protocol.
func (s Scenario) appliesTo(protocol string) bool {
	if len(s.Protocols) == 0 {
		return true
	}
	for _, p := range s.Protocols {
		if p == protocol {
			return true
		}
	}
	return false
}
