package state

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"
)

// TestAppGenesis_GaiadFileIsAcceptedAsIs: the file gaiad v25.1.1 wrote
// (`init --default-denom uatom`, `genesis add-genesis-account`, `genesis
// gentx`, `genesis collect-gentxs`; validators come later, from the gentx
// through InitChain) reads into the same fields CometBFT's format would
// give.
func TestAppGenesis_GaiadFileIsAcceptedAsIs(t *testing.T) {
	b, err := os.ReadFile("testdata/app_genesis.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := GenesisDocFromJSON(b)
	if err != nil {
		t.Fatalf("the SDK's genesis was refused: %v", err)
	}
	if doc.ChainID != "gaia-testdata-1" || doc.InitialHeight != 1 || len(doc.Validators) != 0 || len(doc.AppHash) != 0 {
		t.Fatalf("decoded %q height %d, %d validators, app hash %X", doc.ChainID, doc.InitialHeight, len(doc.Validators), doc.AppHash)
	}
	if want := time.Date(2026, 12, 7, 3, 29, 51, 534533049, time.UTC); !doc.GenesisTime.Equal(want) {
		t.Fatalf("genesis time %v, want %v", doc.GenesisTime, want)
	}
	p := doc.ConsensusParams
	if p.Block.MaxBytes != 22020096 || p.Block.MaxGas != -1 || p.Evidence.MaxAgeDuration != 48*time.Hour ||
		p.Evidence.MaxAgeNumBlocks != 100000 || len(p.Validator.PubKeyTypes) != 1 || p.Validator.PubKeyTypes[0] != "ed25519" {
		t.Fatalf("consensus params %+v", p)
	}
	var top struct {
		AppState json.RawMessage `json:"app_state"`
	}
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(doc.AppState, top.AppState) {
		t.Fatal("app_state was not handed on byte for byte")
	}
	if _, err := FromGenesis(doc); err != nil {
		t.Fatalf("no chain state from the SDK's genesis: %v", err)
	}
}

// TestAppGenesis_SameChainAsCometBFTFormat: a document with validators and
// params in the SDK's format gives the same genesis as its CometBFT form.
func TestAppGenesis_SameChainAsCometBFTFormat(t *testing.T) {
	pub := ed25519.GenPrivKeyFromSecret([]byte("app-genesis")).PubKey()
	comet := &types.GenesisDoc{
		ChainID: "sdk-chain", GenesisTime: time.Unix(1700000000, 5).UTC(), InitialHeight: 7,
		AppHash:    []byte{0xab, 0xcd},
		AppState:   json.RawMessage(`{"bank":{"balances":[]}}`),
		Validators: []types.GenesisValidator{{PubKey: pub, Power: 42, Name: "v0"}},
		ConsensusParams: func() *types.ConsensusParams {
			p := types.DefaultConsensusParams()
			p.Block.MaxBytes, p.ABCI.VoteExtensionsEnableHeight = 1<<20, 9
			return p
		}(),
	}
	cons, err := cmtjson.Marshal(appGenesisConsensus{Validators: comet.Validators, Params: comet.ConsensusParams})
	if err != nil {
		t.Fatal(err)
	}
	sdk := `{"app_name":"simd","app_version":"v0.53.0","genesis_time":"` + comet.GenesisTime.Format(time.RFC3339Nano) +
		`","chain_id":"sdk-chain","initial_height":7,"app_hash":"` + base64.StdEncoding.EncodeToString(comet.AppHash) +
		`","app_state":{"bank":{"balances":[]}},"consensus":` + string(cons) + `}`
	fromSDK, err := GenesisDocFromJSON([]byte(sdk))
	if err != nil {
		t.Fatal(err)
	}
	cometJSON, err := cmtjson.Marshal(comet)
	if err != nil {
		t.Fatal(err)
	}
	fromComet, err := GenesisDocFromJSON(cometJSON)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := cmtjson.Marshal(fromSDK)
	b, _ := cmtjson.Marshal(fromComet)
	if !bytes.Equal(a, b) {
		t.Fatalf("the two formats give different genesis documents:\nSDK:      %s\nCometBFT: %s", a, b)
	}
	if fromSDK.ConsensusParams.ABCI.VoteExtensionsEnableHeight != 9 || fromSDK.Validators[0].Power != 42 || len(fromSDK.Validators[0].Address) != 20 {
		t.Fatalf("decoded %+v", fromSDK)
	}
}

// TestAppGenesis_BadDocumentsNameTheField: errors say what is wrong and
// where, never a panic.
func TestAppGenesis_BadDocumentsNameTheField(t *testing.T) {
	cases := []struct{ name, doc, want string }{
		{"mixed formats", `{"app_name":"gaiad","chain_id":"x","validators":[]}`, "mixes"},
		{"initial_height as CometBFT's string", `{"app_name":"gaiad","chain_id":"x","initial_height":"1"}`, "initial_height"},
		{"consensus params integers as numbers", `{"app_name":"gaiad","chain_id":"x","consensus":{"params":{"block":{"max_bytes":22020096}}}}`, "consensus"},
		{"short validator key", `{"chain_id":"x","consensus":{"validators":[{"pub_key":{"type":"tendermint/PubKeyEd25519","value":"AAAA"},"power":"1"}]}}`, "pub_key of 3 bytes"},
		{"no chain_id", `{"app_name":"gaiad","initial_height":1}`, "chain_id"},
		{"negative initial_height", `{"app_name":"gaiad","chain_id":"x","initial_height":-3}`, "initial_height"},
		{"zero-power validator", `{"chain_id":"x","consensus":{"validators":[{"pub_key":{"type":"tendermint/PubKeyEd25519","value":"` +
			base64.StdEncoding.EncodeToString(ed25519.GenPrivKeyFromSecret([]byte("z")).PubKey().Bytes()) + `"},"power":"0"}]}}`, "power"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := GenesisDocFromJSON([]byte(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}
