package bench

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"
)

func TestLedgerEncodesAndDecodesItsOwnTransactions(t *testing.T) {
	l, err := newLedger(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	other, _ := newLedger(time.Now())
	for _, size := range []int{l.minTxSize(), 64, 1024} {
		for _, seq := range []int{0, 7, 123456789} {
			tx := l.encode(seq, size)
			if len(tx) != size {
				t.Errorf("encode(%d, %d) is %d bytes", seq, size, len(tx))
			}
			if bytes.Count(tx, []byte("=")) != 1 {
				t.Errorf("%q is not one key=value", tx)
			}
			if got, ok := l.decode(tx); !ok || got != seq {
				t.Errorf("decode(encode(%d)) = %d, %v", seq, got, ok)
			}
			if _, ok := other.decode(tx); ok {
				t.Errorf("another run claims %q", tx)
			}
		}
	}
	for _, tx := range []string{"", "name=satoshi", string(l.prefix), string(l.prefix) + "=x", string(l.prefix) + "x1=v", string(l.prefix) + "-1=v"} {
		if _, ok := l.decode([]byte(tx)); ok {
			t.Errorf("decode(%q) accepted a foreign tx", tx)
		}
	}
}

func TestLedgerCountsACommitOnce(t *testing.T) {
	start := time.Now()
	l, _ := newLedger(start)
	seq := l.add(start)
	l.answer(seq, stateAcked, "")
	tx := l.encode(seq, 64)
	if got := l.commit([][]byte{tx, tx}, start.Add(time.Second), nil); len(got) != 1 || got[0] != 1000 {
		t.Errorf("latencies %v; want one of 1000ms", got)
	}
	if got := l.commit([][]byte{tx}, start.Add(2*time.Second), nil); len(got) != 0 {
		t.Errorf("a second inclusion was counted again: %v", got)
	}
	if l.unsettled() != 0 {
		t.Errorf("unsettled %d after the commit", l.unsettled())
	}
}

func TestPercentileNearestRank(t *testing.T) {
	v := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct{ p, want float64 }{{50, 5}, {90, 9}, {99, 10}, {100, 10}, {1, 1}} {
		if got := percentile(v, c.p); got != c.want {
			t.Errorf("p%g = %g, want %g", c.p, got, c.want)
		}
	}
	if percentile(nil, 50) != 0 {
		t.Error("percentile of nothing must be 0")
	}
}

func TestConfigValidateNamesTheSetting(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	c.Endpoints = []string{"127.0.0.1:26657"}
	c.Senders = 0
	c.Rate = -1
	err := c.Validate()
	for _, want := range []string{"endpoint", "senders", "rate"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %s", err, want)
		}
	}
}

func TestChartIsWellFormedSVGWithOneSeriesPerSystem(t *testing.T) {
	mk := func(sys string, lat float64) *Result {
		r := &Result{System: sys, Committed: 3}
		analyse(r, []txRecord{
			{sent: 0, committed: time.Duration(lat * float64(time.Millisecond)), state: stateAcked, inBlock: true},
			{sent: time.Second, committed: time.Second + time.Duration(2*lat*float64(time.Millisecond)), state: stateAcked, inBlock: true},
			{sent: 2 * time.Second, committed: 2*time.Second + time.Duration(lat*float64(time.Millisecond)), state: stateAcked, inBlock: true},
		}, 3*time.Second)
		return r
	}
	var buf bytes.Buffer
	if err := WriteChart(&buf, "test <&>", []*Result{mk("cometbft", 900), mk("bftnode", 12)}); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&buf)
	lines := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the chart is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			lines++
		}
	}
	// Per system: p50 and p99 over time, and the histogram.
	if lines != 6 {
		t.Errorf("%d polylines; want 3 per system", lines)
	}
}
