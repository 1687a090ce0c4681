package state

import (
	"os"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"
)

// FuzzGenesis runs the node's genesis path (GenesisDocFromJSON, then the
// chain state built from it) on arbitrary bytes: a
// document is accepted or refused with an error, never a panic, and an
// accepted one yields a state whose validator sets are consistent.
func FuzzGenesis(f *testing.F) {
	pub := ed25519.GenPrivKeyFromSecret([]byte("fuzz")).PubKey()
	gen := &types.GenesisDoc{ChainID: "fuzz-chain", GenesisTime: time.Unix(1700000000, 0).UTC(), InitialHeight: 1,
		Validators: []types.GenesisValidator{{Address: pub.Address(), PubKey: pub, Power: 10, Name: "v0"}}}
	if err := gen.ValidateAndComplete(); err != nil {
		f.Fatal(err)
	}
	valid, err := cmtJSON(gen)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add([]byte(`{"chain_id":"x","validators":[]}`))
	f.Add([]byte(`{"chain_id":"x","initial_height":"-5"}`))
	f.Add([]byte(`{"chain_id":"x","consensus_params":{"block":{"max_bytes":"0"}}}`))
	f.Add([]byte(`{"chain_id":"x","validators":[{"pub_key":{"type":"tendermint/PubKeyEd25519","value":"AAAA"},"power":"1"}]}`))
	f.Add([]byte(`null`))
	// The Cosmos SDK's format (appgenesis.go).
	if sdk, err := os.ReadFile("testdata/app_genesis.json"); err == nil {
		f.Add(sdk)
	}
	f.Add([]byte(`{"app_name":"gaiad","chain_id":"x","initial_height":3,"app_hash":"q80=","consensus":{"validators":[{"pub_key":{"type":"tendermint/PubKeyEd25519","value":"AAAA"},"power":"1"}],"params":null}}`))
	f.Add([]byte(`{"app_name":"gaiad","chain_id":"x","consensus":null,"consensus_params":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := GenesisDocFromJSON(data)
		if err != nil {
			return
		}
		st, err := FromGenesis(doc)
		if err != nil {
			return
		}
		if st.ChainID != doc.ChainID || st.InitialHeight != doc.InitialHeight {
			t.Fatalf("state %q/%d from genesis %q/%d", st.ChainID, st.InitialHeight, doc.ChainID, doc.InitialHeight)
		}
		if st.Validators.Size() != len(doc.Validators) {
			t.Fatalf("%d validators in the state, %d in the genesis", st.Validators.Size(), len(doc.Validators))
		}
	})
}

func cmtJSON(gen *types.GenesisDoc) ([]byte, error) {
	return cmtjson.Marshal(gen)
}
