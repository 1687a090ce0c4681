package e2e

import "strings"

// knownBug is a violation the suite found whose fix is still open. The
// suite keeps reporting it (test log and FAULTS.md, as "open bug") but it
// does not fail the run, so that every other invariant keeps guarding
// make test. Remove the entry with the fix.
type knownBug struct {
	protocol string // "" for both
	text     string // found in the violation's text
	finding  string
}

// knownBugs is empty: the last entry ("tx committed more than once" with
// PBFT under crash points) was a node that restarted or reconnected far
// behind offering transactions committed long ago to peers whose caches
// had forgotten them (TestARestartedNodeDoesNotResurrectCommittedTransactions).
var knownBugs = []knownBug{}

// setAsideKnownBugs moves the violations that match an open bug from
// r.Violations to r.OpenBugs.
func setAsideKnownBugs(r *Result) {
	kept := r.Violations[:0]
	for _, v := range r.Violations {
		matched := false
		for _, k := range knownBugs {
			if (k.protocol == "" || k.protocol == r.Protocol) && strings.Contains(v, k.text) {
				matched = true
				break
			}
		}
		if matched {
			r.OpenBugs = append(r.OpenBugs, v)
		} else {
			kept = append(kept, v)
		}
	}
	r.Violations = kept
}
