package state

import (
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"
)

func validGenesisJSON(t testing.TB) []byte {
	pub := ed25519.GenPrivKeyFromSecret([]byte("genesis")).PubKey()
	gen := &types.GenesisDoc{ChainID: "genesis-test", GenesisTime: time.Unix(1700000000, 0).UTC(), InitialHeight: 1,
		Validators: []types.GenesisValidator{{PubKey: pub, Power: 10, Name: "v0"}}}
	b, err := cmtjson.Marshal(gen)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGenesisDocFromJSONAcceptsAValidDocument(t *testing.T) {
	doc, err := GenesisDocFromJSON(validGenesisJSON(t))
	if err != nil {
		t.Fatal(err)
	}
	if doc.ChainID != "genesis-test" || len(doc.Validators) != 1 || len(doc.Validators[0].Address) != 20 {
		t.Fatalf("decoded %+v", doc)
	}
}

// CometBFT's GenesisDocFromJSON panics on a validator key of the wrong
// size (found by FuzzGenesis); a node must refuse such a file with an
// error instead.
func TestGenesisWithAShortKeyIsAnErrorNotAPanic(t *testing.T) {
	short := `{"chain_id":"x","validators":[{"pub_key":{"type":"tendermint/PubKeyEd25519","value":"AAAA"},"power":"1"}]}`
	_, err := GenesisDocFromJSON([]byte(short))
	if err == nil || !strings.Contains(err.Error(), "pub_key of 3 bytes") {
		t.Fatalf("got %v, want an error about the key's size", err)
	}
	if _, err := GenesisDocFromJSON([]byte(`{"chain_id":"x","validators":[{"power":"1"}]}`)); err == nil {
		t.Fatal("a validator without a key was accepted")
	}
}
