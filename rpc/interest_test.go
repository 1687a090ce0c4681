package rpc

import (
	"testing"

	"github.com/cometbft/cometbft/libs/pubsub/query"
	"github.com/cometbft/cometbft/types"
)

func TestTxInterestCountsSubscriptionsThatMayReceiveTxEvents(t *testing.T) {
	ti := NewTxInterest()
	if ti.Wanted() {
		t.Fatal("Tx events wanted with no subscription")
	}
	releaseBlocks := ti.track(query.MustCompile("tm.event = 'NewBlock'"))
	if ti.Wanted() {
		t.Fatal("a NewBlock subscription made Tx events wanted")
	}
	var releases []func()
	for _, q := range []string{"tm.event = 'Tx' AND tx.height > 3", "app.key = 'x'", "tm.event EXISTS", "tx.hash = 'AB'"} {
		releases = append(releases, ti.track(query.MustCompile(q)))
		if !ti.Wanted() {
			t.Fatalf("%q does not count", q)
		}
	}
	releases = append(releases, ti.track(types.EventQueryTxFor(types.Tx("a=1"))))
	releaseBlocks()
	for i, release := range releases {
		release()
		release() // a second release changes nothing
		if want := i < len(releases)-1; ti.Wanted() != want {
			t.Fatalf("after %d of %d releases: wanted %v", i+1, len(releases), ti.Wanted())
		}
	}
	var none *TxInterest
	if !none.Wanted() {
		t.Fatal("without a counter every event must be published")
	}
}
