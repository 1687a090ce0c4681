package sim

import (
	"os"
	"strconv"
	"testing"
)

func TestDebugOne(t *testing.T) {
	fam := os.Getenv("FAM")
	if fam == "" {
		t.Skip()
	}
	seed, _ := strconv.ParseUint(os.Getenv("SEED"), 10, 64)
	res, err := Run(Options{Protocol: toyProtocol, Scenario: fam, Seed: seed, Trace: os.Stdout})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range res.Violations {
		t.Log(v)
	}
}
