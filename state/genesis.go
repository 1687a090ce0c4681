package state

import (
	"fmt"
	"os"

	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/crypto/secp256k1"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/types"
)

// GenesisDocFromFile reads and checks a genesis.json as CometBFT's
// types.GenesisDocFromFile does, but also accepts the Cosmos SDK's own
// format (AppGenesis, written by `gaiad init`), and refuses with an error
// the documents CometBFT's decoder panics on (a validator public key of
// the wrong size).
func GenesisDocFromFile(path string) (*types.GenesisDoc, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the genesis file: %w", err)
	}
	doc, err := GenesisDocFromJSON(b)
	if err != nil {
		return nil, fmt.Errorf("genesis file %s: %w", path, err)
	}
	return doc, nil
}

// GenesisDocFromJSON decodes and checks a genesis document, in CometBFT's
// format or the Cosmos SDK's (AppGenesis, see appgenesis.go); see
// GenesisDocFromFile.
func GenesisDocFromJSON(b []byte) (*types.GenesisDoc, error) {
	doc, err := decodeGenesis(b)
	if err != nil {
		return nil, err
	}
	for i, v := range doc.Validators {
		if err := checkPubKey(v.PubKey); err != nil {
			return nil, fmt.Errorf("validator %d (%q) of the genesis: %w", i, v.Name, err)
		}
	}
	if err := validateAndComplete(doc); err != nil {
		return nil, fmt.Errorf("invalid genesis document: %w", err)
	}
	return doc, nil
}

// decodeGenesis reads either format, unchecked.
func decodeGenesis(b []byte) (*types.GenesisDoc, error) {
	sdk, err := isAppGenesis(b)
	if err != nil {
		return nil, fmt.Errorf("malformed genesis document: %w", err)
	}
	if sdk {
		return genesisDocFromAppGenesis(b)
	}
	var doc types.GenesisDoc
	if err := cmtjson.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("malformed genesis document: %w", err)
	}
	return &doc, nil
}

// checkPubKey rejects keys whose length does not fit their type: CometBFT
// panics when it derives their address.
func checkPubKey(k crypto.PubKey) error {
	switch k := k.(type) {
	case nil:
		return fmt.Errorf("no pub_key")
	case ed25519.PubKey:
		if len(k) != ed25519.PubKeySize {
			return fmt.Errorf("ed25519 pub_key of %d bytes, want %d", len(k), ed25519.PubKeySize)
		}
	case secp256k1.PubKey:
		if len(k) != secp256k1.PubKeySize {
			return fmt.Errorf("secp256k1 pub_key of %d bytes, want %d", len(k), secp256k1.PubKeySize)
		}
	}
	return nil
}

// validateAndComplete runs CometBFT's checks, turning a panic in them (on
// a key type checkPubKey does not know) into an error.
func validateAndComplete(doc *types.GenesisDoc) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("rejected by CometBFT's checks: %v", r)
		}
	}()
	return doc.ValidateAndComplete()
}
