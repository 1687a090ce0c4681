package home

import (
	"errors"
	"fmt"
	"os"

	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"

	"github.com/bftnode/bftnode/internal/atomicfile"
)

// keyFileMode keeps private keys and signer state readable by the owner only.
const keyFileMode = 0o600

// LoadPrivValidator reads the validator key and its last-signed state.
func LoadPrivValidator(keyFile, stateFile string) (*privval.FilePV, error) {
	pv, err := LoadPrivValidatorKey(keyFile, stateFile)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(stateFile)
	if err != nil {
		return nil, fmt.Errorf("read validator state: %w", err)
	}
	var state privval.FilePVLastSignState
	if err := cmtjson.Unmarshal(data, &state); err != nil {
		return nil, fmt.Errorf("validator state %s is not CometBFT privval JSON: %w", stateFile, err)
	}
	if state.Height < 0 || state.Round < 0 || state.Step < 0 {
		return nil, fmt.Errorf("validator state %s holds a negative height, round or step", stateFile)
	}
	// Copy field by field: the loaded struct lacks the file path that
	// NewFilePV set.
	pv.LastSignState.Height = state.Height
	pv.LastSignState.Round = state.Round
	pv.LastSignState.Step = state.Step
	pv.LastSignState.Signature = state.Signature
	pv.LastSignState.SignBytes = state.SignBytes
	return pv, nil
}

// LoadPrivValidatorKey reads the validator key; the returned validator has
// the empty state of a validator that never signed.
func LoadPrivValidatorKey(keyFile, stateFile string) (*privval.FilePV, error) {
	data, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("read validator key: %w", err)
	}
	var key privval.FilePVKey
	if err := cmtjson.Unmarshal(data, &key); err != nil {
		return nil, fmt.Errorf("validator key %s is not CometBFT privval JSON: %w", keyFile, err)
	}
	if key.PrivKey == nil {
		return nil, fmt.Errorf("validator key %s has no priv_key", keyFile)
	}
	pub := key.PrivKey.PubKey()
	if key.PubKey != nil && !key.PubKey.Equals(pub) {
		return nil, fmt.Errorf("validator key %s: pub_key does not belong to priv_key; restore the file from a backup", keyFile)
	}
	return privval.NewFilePV(key.PrivKey, keyFile, stateFile), nil
}

// GenPrivValidator makes a new ed25519 validator key with the state of a
// validator that never signed, and writes both files.
func GenPrivValidator(keyFile, stateFile string) (*privval.FilePV, error) {
	pv := privval.GenFilePV(keyFile, stateFile)
	if err := SavePrivValidatorKey(pv, keyFile); err != nil {
		return nil, err
	}
	if err := SavePrivValidatorState(pv, stateFile); err != nil {
		return nil, err
	}
	return pv, nil
}

// SavePrivValidatorKey writes the validator key to keyFile in CometBFT's
// format.
func SavePrivValidatorKey(pv *privval.FilePV, keyFile string) error {
	data, err := cmtjson.MarshalIndent(pv.Key, "", "  ")
	if err != nil {
		return fmt.Errorf("encode validator key: %w", err)
	}
	return atomicfile.Write(keyFile, data, keyFileMode)
}

// SavePrivValidatorState writes the last-signed state to stateFile in
// CometBFT's format.
func SavePrivValidatorState(pv *privval.FilePV, stateFile string) error {
	data, err := cmtjson.MarshalIndent(&pv.LastSignState, "", "  ")
	if err != nil {
		return fmt.Errorf("encode validator state: %w", err)
	}
	return atomicfile.Write(stateFile, data, keyFileMode)
}

// LoadNodeKey reads the node key that names this node to its peers.
func LoadNodeKey(path string) (*p2p.NodeKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read node key: %w", err)
	}
	var key p2p.NodeKey
	if err := cmtjson.Unmarshal(data, &key); err != nil {
		return nil, fmt.Errorf("node key %s is not CometBFT node key JSON: %w", path, err)
	}
	if key.PrivKey == nil {
		return nil, fmt.Errorf("node key %s has no priv_key", path)
	}
	return &key, nil
}

// GenNodeKey makes a new ed25519 node key and writes it to path.
func GenNodeKey(path string) (*p2p.NodeKey, error) {
	key := &p2p.NodeKey{PrivKey: ed25519.GenPrivKey()}
	data, err := cmtjson.Marshal(key)
	if err != nil {
		return nil, fmt.Errorf("encode node key: %w", err)
	}
	if err := atomicfile.Write(path, data, keyFileMode); err != nil {
		return nil, err
	}
	return key, nil
}

func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return false, err
}
