package rpctest

import (
	"strings"
	"testing"
)

func TestShapeDiffCatchesDifferences(t *testing.T) {
	want := `{"a":"1","b":[{"c":1}],"d":null}`
	for _, got := range []string{
		`{"a":1,"b":[{"c":1}],"d":null}`,
		`{"a":"1","b":[{"c":"1"}],"d":null}`,
		`{"a":"1","b":[{"c":1}],"d":[]}`,
		`{"a":"1","b":[{"c":1}]}`,
		`{"a":"1","b":[{"c":1}],"d":null,"e":2}`,
		`[{"a":"1","b":[{"c":1}],"d":null}]`,
	} {
		diffs, err := ShapeDiff([]byte(want), []byte(got))
		if err != nil {
			t.Fatal(err)
		}
		if len(diffs) == 0 {
			t.Errorf("%s has the shape of %s", got, want)
		}
	}
	diffs, err := ShapeDiff([]byte(want), []byte(`{"a":"x","b":[],"d":null}`))
	if err != nil || len(diffs) != 0 {
		t.Errorf("same shape reported as different: %v %v", diffs, err)
	}
	if _, err := ShapeDiff([]byte(want), []byte(`{"a":`)); err == nil {
		t.Error("an answer that is not JSON was compared")
	}
}

// recorder is a TB that keeps what SameShape reports.
type recorder struct{ errs []string }

func (r *recorder) Helper()                        {}
func (r *recorder) Errorf(format string, _ ...any) { r.errs = append(r.errs, format) }

func TestSameShapeReports(t *testing.T) {
	var r recorder
	if SameShape(&r, "x", []byte(`{"a":1}`), []byte(`{"a":"1"}`)) || len(r.errs) != 1 {
		t.Errorf("a different kind was not reported: %v", r.errs)
	}
	r = recorder{}
	if !SameShape(&r, "x", []byte(`{"a":1}`), []byte(`{"a":2}`)) || len(r.errs) != 0 {
		t.Errorf("the same shape was reported: %v", r.errs)
	}
}

func TestCapturesLoad(t *testing.T) {
	for _, name := range []string{"block.json", "status.json"} {
		_, err := Reference(name)
		if name == "status.json" {
			if err == nil || !strings.Contains(err.Error(), "status.json") {
				t.Errorf("a missing capture: %v", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	ws, err := LoadWebsocketSession()
	if err != nil {
		t.Fatal(err)
	}
	if len(ws.Acks) != subscribeCalls {
		t.Errorf("%d subscribe answers", len(ws.Acks))
	}
	for _, q := range []string{"tm.event='NewBlock'", "tm.event='NewBlockHeader'", "tm.event='NewBlockEvents'", "tm.event='Tx'"} {
		if _, ok := ws.EventFor(q); !ok {
			t.Errorf("no captured event for %s", q)
		}
	}
}
