package home

import (
	"errors"
	"fmt"
	"os"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/p2p"

	"github.com/bftnode/bftnode/config"
)

// NodeID is the ID peers know this node by (hex of its node key's address).
func NodeID(cfg *config.Config) (p2p.ID, error) {
	key, err := LoadNodeKey(cfg.NodeKeyFile())
	if err != nil {
		return "", withInitHint(cfg, err)
	}
	return key.ID(), nil
}

// ValidatorJSON is the validator's public key in CometBFT's JSON, as
// cometbft show-validator prints it.
func ValidatorJSON(cfg *config.Config) ([]byte, error) {
	pv, err := LoadPrivValidatorKey(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	if err != nil {
		return nil, withInitHint(cfg, err)
	}
	data, err := cmtjson.Marshal(pv.Key.PubKey)
	if err != nil {
		return nil, fmt.Errorf("encode validator public key: %w", err)
	}
	return data, nil
}

// CheckInitialized reports a missing genesis, validator key, validator
// state or node key, saying how to create them.
func CheckInitialized(cfg *config.Config) error {
	for _, f := range []struct{ what, path string }{
		{"genesis", cfg.GenesisFile()},
		{"validator key", cfg.PrivValidatorKeyFile()},
		{"validator state", cfg.PrivValidatorStateFile()},
		{"node key", cfg.NodeKeyFile()},
	} {
		found, err := exists(f.path)
		if err != nil {
			return fmt.Errorf("check %s: %w", f.what, err)
		}
		if !found {
			return withInitHint(cfg, fmt.Errorf("no %s at %s: %w", f.what, f.path, os.ErrNotExist))
		}
	}
	return nil
}

func withInitHint(cfg *config.Config, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w; run \"bftnode init --home %s\" first", err, cfg.RootDir)
	}
	return err
}
