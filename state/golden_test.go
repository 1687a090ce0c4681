package state_test

import (
	"fmt"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/state"
)

// Values CometBFT v0.38.26's own state package computes for the genesis of
// statetest.Genesis(10, 20, 30): its genesis state, its block 1 with txs
// "k=v" and "x=y" made by sm.State.MakeBlock, and sm.TxResultsHash of
// goldenResults. bftnode must produce the same bytes.
const (
	goldenBlock1Hash    = "61708873210CA6937B93295F8E4DFCA3DCAD33116CB2CA29D2C5E351D930A10E"
	goldenValsHash      = "911E12F1EDF25427C1B59FCED7AF31EFBC8C992EFF3987B4A97625BA4C2EDC50"
	goldenConsensusHash = "048091BC7DDC283F77BFBF91D73C44DA58C3DF8A9CBC867405D8B7F3DAADA22F"
	goldenNextProposer  = "9CE17F375EF8A9009E1ECCB05E9221EBE125C97E"
	goldenResultsHash   = "B8278B8B41C47E2797098886AE75BFFEE92B03EAFA1F70DA10E9C6BC1ED1A498"
	goldenStateProto    = "0A0D0A02080B1207302E33382E3236120A746573742D636861696E220212002A0608A5FACDAC063290020A3C0A143974A766CA25E567C8CF7BF0B80037A2E251241312220A20FD4E5B7347D2F3C6ABD2FB5401400B7DE3F3CA1D56FA5C7CF0498B204E3EBAC9181E0A470A149CE17F375EF8A9009E1ECCB05E9221EBE125C97E12220A20D3BFB03C5EA8AA2884363BF4D68EBD5E38059B03B8A1519B0E0F5ABB627E3BD2181420ECFFFFFFFFFFFFFFFF010A3E0A141D8CA4776FD99712B07F581AC42F35B06049683812220A20E0E9F8E88A68D78726D9789517121A4C168A416A95BAF6CFCA951C725A86F96C180A201412470A149CE17F375EF8A9009E1ECCB05E9221EBE125C97E12220A20D3BFB03C5EA8AA2884363BF4D68EBD5E38059B03B8A1519B0E0F5ABB627E3BD2181420ECFFFFFFFFFFFFFFFF013A92020A470A143974A766CA25E567C8CF7BF0B80037A2E251241312220A20FD4E5B7347D2F3C6ABD2FB5401400B7DE3F3CA1D56FA5C7CF0498B204E3EBAC9181E20E2FFFFFFFFFFFFFFFF010A3E0A149CE17F375EF8A9009E1ECCB05E9221EBE125C97E12220A20D3BFB03C5EA8AA2884363BF4D68EBD5E38059B03B8A1519B0E0F5ABB627E3BD2181420140A3E0A141D8CA4776FD99712B07F581AC42F35B06049683812220A20E0E9F8E88A68D78726D9789517121A4C168A416A95BAF6CFCA951C725A86F96C180A200A12470A143974A766CA25E567C8CF7BF0B80037A2E251241312220A20FD4E5B7347D2F3C6ABD2FB5401400B7DE3F3CA1D56FA5C7CF0498B204E3EBAC9181E20E2FFFFFFFFFFFFFFFF01480152310A10088080C00A10FFFFFFFFFFFFFFFFFF01120E08A08D0612040880C60A188080401A090A076564323535313922002A0058017001"
)

var goldenResults = []*abci.ExecTxResult{
	{Code: 0, Data: []byte("ok"), GasWanted: 5, GasUsed: 3, Log: "l"},
	{Code: 7, GasWanted: 1, GasUsed: 1},
}

func TestMatchesCometBFT(t *testing.T) {
	s, _ := genesisState(t, 10, 20, 30)
	bz, err := s.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	hex := func(b []byte) string { return fmt.Sprintf("%X", b) }
	if got := hex(bz[1:]); got != goldenStateProto {
		t.Errorf("genesis state encodes as\n%s\nCometBFT encodes\n%s", got, goldenStateProto)
	}
	bt, err := state.BlockTime(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	txs := []types.Tx{types.Tx("k=v"), types.Tx("x=y")}
	block, _, id, err := state.MakeBlock(s, 1, txs, nil, nil, s.Validators.GetProposer().Address, bt)
	if err != nil {
		t.Fatal(err)
	}
	after, err := state.Update(s, id, &block.Header, &abci.ResponseFinalizeBlock{TxResults: goldenResults})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"block 1 hash", hex(block.Hash()), goldenBlock1Hash},
		{"validators hash", hex(s.Validators.Hash()), goldenValsHash},
		{"next validators hash", hex(s.NextValidators.Hash()), goldenValsHash},
		{"consensus hash", hex(s.ConsensusParams.Hash()), goldenConsensusHash},
		{"next proposer", hex(s.NextValidators.GetProposer().Address), goldenNextProposer},
		{"last results hash", hex(after.LastResultsHash), goldenResultsHash},
	} {
		if c.got != c.want {
			t.Errorf("%s = %s, CometBFT computes %s", c.name, c.got, c.want)
		}
	}
}
