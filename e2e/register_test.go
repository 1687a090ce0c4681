package e2e

import (
	"math"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

func op(cl int, call, ret int64, kind, key, v, n, out string) porcupine.Operation {
	o := regOutput{Value: out}
	if ret == math.MaxInt64 {
		o = regOutput{Unknown: true}
	}
	return porcupine.Operation{ClientId: cl, Input: regInput{Kind: kind, Key: key, Value: v, New: n}, Call: call, Output: o, Return: ret}
}

// The checker must accept linearizable register histories and reject the
// others; otherwise a "linearizable: ok" in the fault report means nothing.
func TestRegisterCheckerTellsLinearizableFromNot(t *testing.T) {
	cases := []struct {
		name string
		h    []porcupine.Operation
		want string
	}{
		{"sequential", []porcupine.Operation{
			op(0, 0, 1, "write", "r0", "1", "", "1"),
			op(0, 2, 3, "read", "r0", "", "", "1"),
			op(0, 4, 5, "cas", "r0", "1", "2", "ok"),
			op(0, 6, 7, "cas", "r0", "1", "3", "fail"),
			op(0, 8, 9, "read", "r0", "", "", "2"),
		}, "ok"},
		{"stale read", []porcupine.Operation{
			op(0, 0, 1, "write", "r0", "1", "", "1"),
			op(1, 2, 3, "read", "r0", "", "", ""),
		}, "VIOLATION"},
		{"concurrent read may see either", []porcupine.Operation{
			op(0, 0, 10, "write", "r0", "1", "", "1"),
			op(1, 2, 3, "read", "r0", "", "", ""),
			op(2, 4, 5, "read", "r0", "", "", "1"),
		}, "ok"},
		{"read goes back in time", []porcupine.Operation{
			op(0, 0, 10, "write", "r0", "1", "", "1"),
			op(1, 2, 3, "read", "r0", "", "", "1"),
			op(2, 4, 5, "read", "r0", "", "", ""),
		}, "VIOLATION"},
		{"two CAS from one value both succeed", []porcupine.Operation{
			op(0, 0, 5, "cas", "r0", "", "a", "ok"),
			op(1, 0, 5, "cas", "r0", "", "b", "ok"),
		}, "VIOLATION"},
		{"an unknown write explains a later read", []porcupine.Operation{
			op(0, 0, math.MaxInt64, "write", "r0", "7", "", ""),
			op(1, 5, 6, "read", "r0", "", "", "7"),
		}, "ok"},
		{"keys are independent", []porcupine.Operation{
			op(0, 0, 1, "write", "r0", "1", "", "1"),
			op(1, 2, 3, "read", "r1", "", "", ""),
		}, "ok"},
	}
	for _, c := range cases {
		got, ops, _ := checkRegisters(c.h, 10*time.Second)
		if got != c.want || ops != len(c.h) {
			t.Errorf("%s: %s over %d ops, want %s", c.name, got, ops, c.want)
		}
	}
}
