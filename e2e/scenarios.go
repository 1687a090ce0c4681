package e2e

// Scenarios is the fault suite, in the order it runs.
var Scenarios = []Scenario{
	{Name: "perturb/one-each", Inject: onePerturbationEach},
	{Name: "perturb/random", Inject: randomPerturbations},
	{Name: "partition/split-2-2", Inject: split22},
	{Name: "partition/isolate-one", Inject: isolateOne},
	{Name: "partition/cycle-halves-ring", Inject: cyclePartitions},
	{Name: "partition/pbft-primary-star", Protocols: []string{"pbft"}, Inject: primaryStar},
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
