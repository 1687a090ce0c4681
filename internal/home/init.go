package home

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	cmtrand "github.com/cometbft/cometbft/libs/rand"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"
	cmttime "github.com/cometbft/cometbft/types/time"

	"github.com/bftnode/bftnode/config"
	"github.com/bftnode/bftnode/internal/atomicfile"
	"github.com/bftnode/bftnode/state"
)

// DefaultPower is the voting power of a validator in a genesis made by init
// or testnet, as CometBFT's init.
const DefaultPower = 10

// InitOptions shape the genesis that Init writes when there is none.
type InitOptions struct {
	ChainID     string    // "" picks test-chain-XXXXXX
	Power       int64     // this node's voting power; 0 means DefaultPower
	GenesisTime time.Time // zero means now
}

// What Init looks at, as Step.What names it.
const (
	StepConfig       = "config"
	StepValidatorKey = "validator key"
	StepNodeKey      = "node key"
	StepGenesis      = "genesis"
)

// Step is one file Init looked at: created, or found and kept.
type Step struct {
	What    string // one of the Step* constants
	Path    string
	Created bool
}

// Init makes sure the home directory of cfg holds everything a node needs
// to start, creating what is missing: config.toml (from cfg), the
// validator key and state, the node key, and a genesis with this node as
// the only validator. Files that exist are kept, as CometBFT's init does,
// but must parse: a damaged file is reported, never overwritten.
func Init(cfg *config.Config, opts InitOptions) ([]Step, error) {
	if err := makeDirs(cfg); err != nil {
		return nil, err
	}
	var steps []Step
	step, err := initConfigFile(cfg)
	if err != nil {
		return nil, err
	}
	steps = append(steps, step)
	pv, step, err := initPrivValidator(cfg)
	if err != nil {
		return nil, err
	}
	steps = append(steps, step)
	step, err = initNodeKey(cfg)
	if err != nil {
		return nil, err
	}
	steps = append(steps, step)
	step, err = initGenesis(cfg, pv, opts)
	if err != nil {
		return nil, err
	}
	return append(steps, step), nil
}

func makeDirs(cfg *config.Config) error {
	dirs := []string{
		cfg.ConfigDir(), cfg.DBDir(),
		filepath.Dir(cfg.GenesisFile()), filepath.Dir(cfg.NodeKeyFile()),
		filepath.Dir(cfg.PrivValidatorKeyFile()), filepath.Dir(cfg.PrivValidatorStateFile()),
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create directory: %w", err)
		}
	}
	return nil
}

func initConfigFile(cfg *config.Config) (Step, error) {
	step := Step{What: StepConfig, Path: cfg.ConfigFile()}
	found, err := exists(step.Path)
	if err != nil || found {
		return step, err
	}
	step.Created = true
	return step, config.WriteConfigFile(step.Path, cfg)
}

func initPrivValidator(cfg *config.Config) (*privval.FilePV, Step, error) {
	keyFile, stateFile := cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile()
	step := Step{What: StepValidatorKey, Path: keyFile}
	found, err := exists(keyFile)
	if err != nil {
		return nil, step, err
	}
	if !found {
		step.Created = true
		pv, err := GenPrivValidator(keyFile, stateFile)
		return pv, step, err
	}
	stateFound, err := exists(stateFile)
	if err != nil {
		return nil, step, err
	}
	if !stateFound {
		// Without its state the signer cannot refuse to sign twice at one
		// height; making a fresh one is for the operator to decide.
		return nil, step, fmt.Errorf("validator key %s exists but its state %s does not: restore the state file, "+
			"or run unsafe-reset-all if this validator has never signed", keyFile, stateFile)
	}
	pv, err := LoadPrivValidator(keyFile, stateFile)
	return pv, step, err
}

func initNodeKey(cfg *config.Config) (Step, error) {
	step := Step{What: StepNodeKey, Path: cfg.NodeKeyFile()}
	found, err := exists(step.Path)
	if err != nil {
		return step, err
	}
	if found {
		_, err = LoadNodeKey(step.Path)
		return step, err
	}
	step.Created = true
	_, err = GenNodeKey(step.Path)
	return step, err
}

func initGenesis(cfg *config.Config, pv *privval.FilePV, opts InitOptions) (Step, error) {
	step := Step{What: StepGenesis, Path: cfg.GenesisFile()}
	found, err := exists(step.Path)
	if err != nil {
		return step, err
	}
	if found {
		if _, err := state.GenesisDocFromFile(step.Path); err != nil {
			return step, fmt.Errorf("genesis %s: %w; fix or remove it", step.Path, err)
		}
		return step, nil
	}
	power := opts.Power
	if power == 0 {
		power = DefaultPower
	}
	pub := pv.Key.PubKey
	doc := NewGenesis(opts.ChainID, opts.GenesisTime,
		[]types.GenesisValidator{{Address: pub.Address(), PubKey: pub, Power: power}})
	step.Created = true
	return step, SaveGenesis(doc, step.Path)
}

// NewGenesis returns a CometBFT genesis at initial height 1 with CometBFT's
// default consensus parameters and an empty app state. An empty chainID is
// replaced by a random test-chain-XXXXXX and a zero time by now.
func NewGenesis(chainID string, genesisTime time.Time, validators []types.GenesisValidator) *types.GenesisDoc {
	if chainID == "" {
		chainID = "test-chain-" + cmtrand.Str(6)
	}
	if genesisTime.IsZero() {
		genesisTime = cmttime.Now()
	}
	return &types.GenesisDoc{
		ChainID:         chainID,
		GenesisTime:     genesisTime,
		InitialHeight:   1,
		ConsensusParams: types.DefaultConsensusParams(),
		Validators:      validators,
		AppState:        []byte("{}"),
	}
}

// SaveGenesis checks doc as CometBFT's loader would and writes it to path.
func SaveGenesis(doc *types.GenesisDoc, path string) error {
	if err := doc.ValidateAndComplete(); err != nil {
		return fmt.Errorf("genesis for %s is invalid: %w", path, err)
	}
	if err := checkValidatorSet(doc.Validators); err != nil {
		return fmt.Errorf("genesis for %s is invalid: %w", path, err)
	}
	data, err := cmtjson.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("encode genesis: %w", err)
	}
	return atomicfile.Write(path, data, 0o644)
}

// checkValidatorSet applies CometBFT's rules for a validator set: positive
// powers, no key twice, total power within bounds.
func checkValidatorSet(validators []types.GenesisValidator) error {
	changes := make([]*types.Validator, len(validators))
	for i, v := range validators {
		if v.Power <= 0 {
			return fmt.Errorf("validator %d (%s) has power %d; it must be positive", i, v.Name, v.Power)
		}
		changes[i] = types.NewValidator(v.PubKey, v.Power)
	}
	if err := new(types.ValidatorSet).UpdateWithChangeSet(changes); err != nil {
		return fmt.Errorf("validator set: %w", err)
	}
	return nil
}
