package mutate

import "testing"

// TestTallyExcludesOnlyTrueEquivalentsFromTheScore: a survivor argued
// equivalent only for safety is excused from the simulator's safety
// target but still counts against the kill score.
func TestTallyExcludesOnlyTrueEquivalentsFromTheScore(t *testing.T) {
	survivor := func(key string, safety bool) Result {
		return Result{Site: Site{Pkg: "pbft", Key: key, Safety: safety}, Compiled: true, Sim: Survived, Unit: Survived}
	}
	results := []Result{
		{Site: Site{Pkg: "pbft", Key: "k"}, Compiled: true, Sim: Killed, Unit: NotRun},
		survivor("eq", false),
		survivor("fault", true),
		survivor("liveness", true),
		survivor("none", false),
	}
	reasons := map[string]string{
		"eq":       "equivalent: never differs",
		"fault":    "equivalent below 1/3 faulty: needs two quorums",
		"liveness": "equivalent for safety: only delays a view change",
		"none":     "not killed: sends one more message",
	}
	_, all := Tally(results, reasons)
	if all.Equivalent != 2 || all.Survived != 4 || all.SafetyExcused != 2 {
		t.Errorf("equivalent %d, survived %d, safety excused %d; want 2, 4, 2", all.Equivalent, all.Survived, all.SafetyExcused)
	}
	if got := all.Score(); got < 33.3 || got > 33.4 {
		t.Errorf("kill score %.2f%%, want 1 of 3", got)
	}
}
