package statesync

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/light/provider"
	lighthttp "github.com/cometbft/cometbft/light/provider/http"
	lightdb "github.com/cometbft/cometbft/light/store/db"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"github.com/cometbft/cometbft/types"
	"github.com/cometbft/cometbft/version"

	"github.com/bftnode/bftnode/abci"
	"github.com/bftnode/bftnode/state"
)

// StateProvider gives what a node needs beside the app's snapshot, all
// verified: the app hash after a height, the chain state after it and the
// commit that decided it.
type StateProvider interface {
	AppHash(ctx context.Context, height uint64) ([]byte, error)
	State(ctx context.Context, height uint64) (state.State, error)
	Commit(ctx context.Context, height uint64) (*types.Commit, error)
}

// LightConfig says where and what the light client trusts.
type LightConfig struct {
	ChainID       string
	InitialHeight int64
	// Servers are at least two RPC addresses: the first is the primary,
	// the others witnesses it is cross-checked against.
	Servers     []string
	TrustHeight int64
	TrustHash   string // hex
	TrustPeriod time.Duration
}

// lightProvider verifies headers with CometBFT's light client (skipping
// verification from the trusted header, cross-checked by the witnesses)
// and reads consensus parameters from the primary, checked against the
// verified header's consensus hash.
type lightProvider struct {
	cfg     LightConfig
	lc      *light.Client
	primary *rpchttp.HTTP
}

// NewLightProvider starts a light client from the trusted header. It fails
// if the primary does not serve that header with the trusted hash.
func NewLightProvider(ctx context.Context, cfg LightConfig, logger *slog.Logger) (StateProvider, error) {
	if len(cfg.Servers) < 2 {
		return nil, fmt.Errorf("[statesync] rpc_servers lists %d servers; the light client needs at least two (a primary and a witness)", len(cfg.Servers))
	}
	hash, err := hex.DecodeString(cfg.TrustHash)
	if err != nil {
		return nil, fmt.Errorf("[statesync] trust_hash %q is not hex: %w", cfg.TrustHash, err)
	}
	var providers []provider.Provider
	for _, s := range cfg.Servers {
		p, err := lighthttp.New(cfg.ChainID, rpcURL(s))
		if err != nil {
			return nil, fmt.Errorf("[statesync] rpc_servers entry %q: %w", s, err)
		}
		providers = append(providers, p)
	}
	primary, err := rpchttp.New(rpcURL(cfg.Servers[0]), "/websocket")
	if err != nil {
		return nil, fmt.Errorf("[statesync] rpc_servers entry %q: %w", cfg.Servers[0], err)
	}
	lc, err := light.NewClient(ctx, cfg.ChainID,
		light.TrustOptions{Period: cfg.TrustPeriod, Height: cfg.TrustHeight, Hash: hash},
		providers[0], providers[1:], lightdb.New(dbm.NewMemDB(), ""),
		light.Logger(abci.CometLogger(logger)), light.MaxRetryAttempts(5))
	if err != nil {
		return nil, fmt.Errorf("the light client could not start from [statesync] trust_height = %d, trust_hash = %q with primary %s: %w; "+
			"check that the hash is the header hash of that height from a source you trust, that the header is younger than trust_period, "+
			"and that the rpc_servers are reachable", cfg.TrustHeight, cfg.TrustHash, cfg.Servers[0], err)
	}
	return &lightProvider{cfg: cfg, lc: lc, primary: primary}, nil
}

func rpcURL(s string) string {
	if strings.Contains(s, "://") {
		return strings.Replace(s, "tcp://", "http://", 1)
	}
	return "http://" + s
}

func (p *lightProvider) verify(ctx context.Context, height int64) (*types.LightBlock, error) {
	lb, err := p.lc.VerifyLightBlockAtHeight(ctx, height, time.Now())
	if err != nil {
		return nil, fmt.Errorf("light client verification of height %d: %w", height, err)
	}
	return lb, nil
}

// AppHash is the app hash after height: header height+1 carries it. The
// header of height+2 is verified too, since the state needs it.
func (p *lightProvider) AppHash(ctx context.Context, height uint64) ([]byte, error) {
	h := int64(height)
	cur, err := p.verify(ctx, h+1)
	if err != nil {
		return nil, err
	}
	if _, err := p.verify(ctx, h+2); err != nil {
		return nil, err
	}
	return cur.AppHash, nil
}

// Commit is the verified commit of height.
func (p *lightProvider) Commit(ctx context.Context, height uint64) (*types.Commit, error) {
	lb, err := p.verify(ctx, int64(height))
	if err != nil {
		return nil, err
	}
	return lb.Commit, nil
}

// State is the chain state after height, from the verified headers of
// height, height+1 and height+2 and the consensus parameters of height+1.
func (p *lightProvider) State(ctx context.Context, height uint64) (state.State, error) {
	h := int64(height)
	last, err := p.verify(ctx, h)
	if err != nil {
		return state.State{}, err
	}
	cur, err := p.verify(ctx, h+1)
	if err != nil {
		return state.State{}, err
	}
	next, err := p.verify(ctx, h+2)
	if err != nil {
		return state.State{}, err
	}
	paramsHeight := h + 1
	res, err := p.primary.ConsensusParams(ctx, &paramsHeight)
	if err != nil {
		return state.State{}, fmt.Errorf("consensus parameters of height %d from %s: %w", paramsHeight, p.cfg.Servers[0], err)
	}
	params := res.ConsensusParams
	if err := params.ValidateBasic(); err != nil {
		return state.State{}, fmt.Errorf("consensus parameters of height %d from %s are invalid: %w", paramsHeight, p.cfg.Servers[0], err)
	}
	if !bytes.Equal(params.Hash(), cur.ConsensusHash) {
		return state.State{}, fmt.Errorf("consensus parameters of height %d from %s hash to %X, the verified header says %X: the server is faulty",
			paramsHeight, p.cfg.Servers[0], params.Hash(), cur.ConsensusHash)
	}
	st := state.State{
		ChainID:                          p.cfg.ChainID,
		InitialHeight:                    p.cfg.InitialHeight,
		LastBlockHeight:                  h,
		LastBlockID:                      cur.LastBlockID,
		LastBlockTime:                    last.Time,
		LastValidators:                   last.ValidatorSet,
		Validators:                       cur.ValidatorSet,
		NextValidators:                   next.ValidatorSet,
		LastHeightValidatorsChanged:      next.Height,
		ConsensusParams:                  params,
		LastHeightConsensusParamsChanged: cur.Height,
		LastResultsHash:                  cur.LastResultsHash,
		AppHash:                          cur.AppHash,
	}
	st.Version.Consensus = cur.Version
	st.Version.Software = version.TMCoreSemVer
	return st, nil
}
