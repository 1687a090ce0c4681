package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"
)

// The Cosmos SDK (v0.50 on) writes genesis.json in its own format,
// AppGenesis, which `<app>d init` and `genesis collect-gentxs` produce and
// CometBFT v0.38 itself refuses. It holds CometBFT's fields with three
// differences: initial_height is a JSON number, app_hash is base64 (the
// encoding/json form of bytes), and the validators and consensus params
// sit under "consensus" as {"validators": ..., "params": ...}, encoded the
// CometBFT way (64-bit integers as strings). app_name and app_version have
// no CometBFT counterpart. The SDK converts it field by field into a
// CometBFT genesis document when it starts CometBFT; bftnode does the same.

// appGenesisOnly and cometGenesisOnly are the top-level keys that tell the
// two formats apart.
var (
	appGenesisOnly   = []string{"app_name", "app_version", "consensus"}
	cometGenesisOnly = []string{"consensus_params", "validators"}
)

// appGenesis is the SDK's top level. encoding/json reads it, as the SDK
// writes it with encoding/json.
type appGenesis struct {
	AppName       string          `json:"app_name"`
	AppVersion    string          `json:"app_version"`
	GenesisTime   time.Time       `json:"genesis_time"`
	ChainID       string          `json:"chain_id"`
	InitialHeight int64           `json:"initial_height"`
	AppHash       []byte          `json:"app_hash"`
	AppState      json.RawMessage `json:"app_state"`
	Consensus     json.RawMessage `json:"consensus"`
}

// appGenesisConsensus is the "consensus" object, in CometBFT's JSON.
type appGenesisConsensus struct {
	Validators []types.GenesisValidator `json:"validators"`
	Params     *types.ConsensusParams   `json:"params"`
}

// isAppGenesis tells whether b is an AppGenesis document. It is one when
// its top level has a key only AppGenesis has; a document with keys of
// both formats is refused, since either reading would drop fields.
func isAppGenesis(b []byte) (bool, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil || top == nil {
		return false, nil // not an object: CometBFT's decoder reports it
	}
	app, comet := presentKeys(top, appGenesisOnly), presentKeys(top, cometGenesisOnly)
	if len(app) > 0 && len(comet) > 0 {
		return false, fmt.Errorf("the document mixes the Cosmos SDK's genesis keys (%s) with CometBFT's (%s); keep one format: the SDK's keeps validators and params under \"consensus\"",
			strings.Join(app, ", "), strings.Join(comet, ", "))
	}
	return len(app) > 0, nil
}

func presentKeys(top map[string]json.RawMessage, keys []string) []string {
	var out []string
	for _, k := range keys {
		if _, ok := top[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

// genesisDocFromAppGenesis decodes an AppGenesis document into CometBFT's
// form, unchecked; GenesisDocFromJSON checks it as any other.
func genesisDocFromAppGenesis(b []byte) (*types.GenesisDoc, error) {
	var ag appGenesis
	if err := json.Unmarshal(b, &ag); err != nil {
		return nil, fmt.Errorf("malformed Cosmos SDK genesis document (AppGenesis): %w", err)
	}
	var cons appGenesisConsensus
	if raw := bytes.TrimSpace(ag.Consensus); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		if err := cmtjson.Unmarshal(raw, &cons); err != nil {
			return nil, fmt.Errorf("malformed \"consensus\" of the Cosmos SDK genesis document (validators and params in CometBFT's JSON, integers as strings): %w", err)
		}
	}
	return &types.GenesisDoc{
		GenesisTime:     ag.GenesisTime,
		ChainID:         ag.ChainID,
		InitialHeight:   ag.InitialHeight,
		AppHash:         slices.Clone(ag.AppHash),
		AppState:        ag.AppState,
		Validators:      cons.Validators,
		ConsensusParams: cons.Params,
	}, nil
}
