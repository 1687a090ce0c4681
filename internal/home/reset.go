package home

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cometbft/cometbft/privval"

	"github.com/bftnode/bftnode/config"
)

// ResetReport says what ResetAll did.
type ResetReport struct {
	Removed          []string // entries of the data directory removed
	Kept             []string // entries kept because they hold a key, the genesis or the config
	ValidatorCreated bool     // there was no validator key, so a new one was made
}

// ResetAll empties the data directory (blocks, state, WAL, indexes) and
// resets the validator's signer state to height 0, keeping the keys, the
// genesis and the config, as CometBFT's unsafe-reset-all. It is unsafe
// because a validator that signed before may now sign again at a height it
// already signed: use it on test networks only. A key, genesis or config
// file placed inside the data directory is kept.
func ResetAll(cfg *config.Config) (ResetReport, error) {
	var report ResetReport
	dbDir := filepath.Clean(cfg.DBDir())
	for _, protected := range []string{cfg.RootDir, cfg.ConfigDir()} {
		if within(filepath.Clean(protected), dbDir) {
			return report, fmt.Errorf("db_dir %s holds the home or config directory; refusing to empty it", dbDir)
		}
	}
	keep := []string{cfg.ConfigFile(), cfg.GenesisFile(), cfg.NodeKeyFile(), cfg.PrivValidatorKeyFile()}
	if err := emptyDir(dbDir, keep, &report); err != nil {
		return report, err
	}
	if err := os.MkdirAll(dbDir, 0o700); err != nil {
		return report, fmt.Errorf("recreate data directory: %w", err)
	}
	created, err := resetPrivValidator(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	report.ValidatorCreated = created
	return report, err
}

// emptyDir removes everything in dir except the keep paths and the
// directories leading to them.
func emptyDir(dir string, keep []string, report *ResetReport) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read data directory: %w", err)
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		switch keepKind(path, keep) {
		case keepExact:
			report.Kept = append(report.Kept, path)
		case keepInside:
			if err := emptyDir(path, keep, report); err != nil {
				return err
			}
		default:
			if err := os.RemoveAll(path); err != nil {
				return fmt.Errorf("remove %s: %w", path, err)
			}
			report.Removed = append(report.Removed, path)
		}
	}
	return nil
}

type keepMatch int

const (
	keepNone keepMatch = iota
	keepExact
	keepInside // a kept file lies inside this directory
)

func keepKind(path string, keep []string) keepMatch {
	match := keepNone
	for _, k := range keep {
		k = filepath.Clean(k)
		if k == path {
			return keepExact
		}
		if within(k, path) {
			match = keepInside
		}
	}
	return match
}

// within reports whether path is dir or lies inside it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// resetPrivValidator writes the state of a validator that never signed
// next to the existing key, or makes a new key if there is none (as
// CometBFT does). It reports whether a key was made.
func resetPrivValidator(keyFile, stateFile string) (bool, error) {
	found, err := exists(keyFile)
	if err != nil {
		return false, err
	}
	if !found {
		if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
			return false, fmt.Errorf("create key directory: %w", err)
		}
		_, err := GenPrivValidator(keyFile, stateFile)
		return true, err
	}
	pv, err := LoadPrivValidatorKey(keyFile, stateFile)
	if err != nil {
		return false, err
	}
	pv.LastSignState = privval.FilePVLastSignState{}
	if err := os.MkdirAll(filepath.Dir(stateFile), 0o700); err != nil {
		return false, fmt.Errorf("create state directory: %w", err)
	}
	return false, SavePrivValidatorState(pv, stateFile)
}
