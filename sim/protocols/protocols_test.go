package protocols

import "testing"

func TestSimulationConfigsAreValid(t *testing.T) {
	if err := TendermintConfig().Validate(); err != nil {
		t.Errorf("tendermint: %v", err)
	}
	if err := PBFTConfig().Validate(); err != nil {
		t.Errorf("pbft: %v", err)
	}
}

func TestLookup(t *testing.T) {
	all, err := Lookup("all")
	if err != nil || len(all) != 4 || all[0].Name != "tendermint" || all[1].Name != "pbft" ||
		all[2].Name != "tendermint-pbft" || all[3].Name != "pbft-tendermint" {
		t.Fatalf("all: %v %v", all, err)
	}
	for _, p := range all[2:] {
		if p.SwitchHeight() != SwitchHeight || !p.NilDecisions {
			t.Errorf("%s: switches at %d, NilDecisions %v", p.Name, p.SwitchHeight(), p.NilDecisions)
		}
	}
	for _, name := range []string{"tendermint", "pbft"} {
		ps, err := Lookup(name)
		if err != nil || len(ps) != 1 || ps[0].Name != name {
			t.Errorf("%s: %v %v", name, ps, err)
		}
		if ps[0].NilDecisions != (name == "pbft") {
			t.Errorf("%s: NilDecisions %v", name, ps[0].NilDecisions)
		}
	}
	if _, err := Lookup("raft"); err == nil {
		t.Error("unknown protocol accepted")
	}
}
