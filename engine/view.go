package engine

import (
	"time"

	"github.com/bftnode/bftnode/consensus"
	abcitypes "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/types"
)

// View is the engine's state as RPC, metrics and logs read it: a
// consistent, read-only picture taken after each batch of inputs.
type View struct {
	// Protocol is the running core's; Schedule says which decides what.
	Protocol        string
	Schedule        consensus.Schedule
	ChainID         string
	LatestHeight    int64
	LatestBlockHash []byte
	LatestAppHash   []byte
	LatestBlockTime time.Time
	// AppVersion is the application's protocol version in the state.
	AppVersion uint64
	// Validators decide the next height.
	Validators *types.ValidatorSet
	Core       consensus.Status
	// Details is the core's own round or view state (Tendermint's
	// RoundState, PBFT's State), for dump_consensus_state.
	Details    any
	CatchingUp bool
	// PeersHeard tells whether some peer reported its height yet.
	PeersHeard bool
	// Address of this node's validator key, or nil.
	ValidatorAddress []byte
}

// View returns the latest view refreshView stored; safe from any goroutine.
func (e *Engine) View() *View { return e.views.Load() }

// refreshView takes a new View of the engine's state and core and stores
// it for View: the driver calls it after each batch of inputs, so readers
// on other goroutines never see a half-applied step.
func (e *Engine) refreshView() {
	v := &View{
		Protocol:         e.protocol,
		Schedule:         e.cfg.Schedule,
		ChainID:          e.state.ChainID,
		LatestHeight:     e.state.LastBlockHeight,
		LatestBlockHash:  e.state.LastBlockID.Hash,
		LatestAppHash:    e.state.AppHash,
		LatestBlockTime:  e.state.LastBlockTime,
		AppVersion:       e.state.Version.Consensus.App,
		Validators:       e.state.Validators,
		CatchingUp:       e.sync.catchingUp(),
		PeersHeard:       len(e.sync.peers) > 0,
		ValidatorAddress: e.self,
	}
	if e.core != nil {
		v.Core = e.core.Status()
		if old := e.views.Load(); old != nil && (old.Core.Round != v.Core.Round || old.Core.Step != v.Core.Step) {
			e.log.Info("consensus moved", "height", v.Core.Height, "round", v.Core.Round, "step", v.Core.Step)
		}
		if e.cfg.Describe != nil {
			v.Details = e.cfg.Describe(e.core)
		}
	}
	e.views.Store(v)
}

// ExecutedBlock describes a block the engine just executed.
type ExecutedBlock struct {
	Block *types.Block
	Resp  *abcitypes.ResponseFinalizeBlock
	// LastValidators signed the block's last commit.
	LastValidators *types.ValidatorSet
	// Took is how long executing it took, FinalizeBlock to Commit.
	Took time.Duration
}

// BlockListener is told about every executed block, in height order, on
// the engine's publishing goroutine (indexers); while it runs, later
// blocks' events wait.
type BlockListener func(ExecutedBlock)

// deliverBlockEvents runs the block listeners for an executed block and
// fires CometBFT's events for it on the event bus.
func (e *Engine) deliverBlockEvents(b executedBlock) {
	block, blockID, resp := b.block, b.blockID, b.resp
	for _, l := range e.p.Listeners {
		l(ExecutedBlock{Block: block, Resp: resp, LastValidators: b.lastVals, Took: b.took})
	}
	bus := e.p.EventBus
	if bus == nil {
		return
	}
	logErr := func(err error) {
		if err != nil {
			e.log.Error("publishing an event", "err", err)
		}
	}
	logErr(bus.PublishEventNewBlock(types.EventDataNewBlock{Block: block, BlockID: blockID, ResultFinalizeBlock: *resp}))
	logErr(bus.PublishEventNewBlockHeader(types.EventDataNewBlockHeader{Header: block.Header}))
	logErr(bus.PublishEventNewBlockEvents(types.EventDataNewBlockEvents{Height: block.Height, Events: resp.Events, NumTxs: int64(len(block.Txs))}))
	for _, ev := range block.Evidence.Evidence {
		logErr(bus.PublishEventNewEvidence(types.EventDataNewEvidence{Evidence: ev, Height: block.Height}))
	}
	for i, tx := range block.Txs {
		if i == 0 && e.p.WantTxEvents != nil && !e.p.WantTxEvents() {
			break
		}
		logErr(bus.PublishEventTx(types.EventDataTx{TxResult: abcitypes.TxResult{
			Height: block.Height, Index: uint32(i), Tx: tx, Result: *resp.TxResults[i],
		}}))
	}
	if len(resp.ValidatorUpdates) > 0 {
		if updates, err := types.PB2TM.ValidatorUpdates(resp.ValidatorUpdates); err == nil {
			logErr(bus.PublishEventValidatorSetUpdates(types.EventDataValidatorSetUpdates{ValidatorUpdates: updates}))
		}
	}
}
