package casapp

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"
)

// Faults make the application misbehave from a height on; zero is never.
type Faults struct {
	// ExitInFinalize ends the process in the middle of FinalizeBlock of
	// this height, as a crash of the application would.
	ExitInFinalize int64
	// WrongResults answers FinalizeBlock with one result too many.
	WrongResults int64
	// BadAppHash returns an application hash no honest replica computes.
	BadAppHash int64
}

// Misbehavior is one Misbehavior entry FinalizeBlock reported.
type Misbehavior struct {
	Type      string `json:"type"`
	Validator []byte `json:"validator"`
	Height    int64  `json:"height"`
	AtBlock   int64  `json:"at_block"`
}

// state is what a committed block leaves behind.
type state struct {
	height  int64
	appHash []byte
	regs    map[string]string
	writes  int64
	// misbehavior is what the block reported, recorded at Commit so that
	// a block finalized twice (a crash before Commit) counts once.
	misbehavior []Misbehavior
}

func (s state) clone() state {
	s.regs = maps.Clone(s.regs)
	s.misbehavior = nil
	return s
}

// App is the register application. The zero value is not usable; call New.
type App struct {
	abci.BaseApplication
	faults Faults
	exit   func(code int)

	mu          sync.Mutex
	committed   state
	staged      *state
	misbehavior []Misbehavior
}

// New returns an application at height 0.
func New(f Faults) *App {
	return &App{faults: f, exit: os.Exit, committed: state{regs: map[string]string{}}}
}

func (a *App) Info(context.Context, *abci.RequestInfo) (*abci.ResponseInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return &abci.ResponseInfo{Data: "casapp", LastBlockHeight: a.committed.height, LastBlockAppHash: a.committed.appHash}, nil
}

func (a *App) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	if len(req.Tx) == 0 {
		return &abci.ResponseCheckTx{Code: 1, Log: "empty transaction"}, nil
	}
	if _, err := ParseOp(req.Tx); err != nil && err != errNotOp {
		return &abci.ResponseCheckTx{Code: 2, Log: err.Error()}, nil
	}
	return &abci.ResponseCheckTx{Code: abci.CodeTypeOK}, nil
}

func (a *App) FinalizeBlock(_ context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if h := a.faults.ExitInFinalize; h != 0 && req.Height >= h {
		a.exit(3)
	}
	next := a.committed.clone()
	next.height = req.Height
	h := sha256.New()
	h.Write(a.committed.appHash)
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i, tx := range req.Txs {
		results[i] = next.apply(tx)
		h.Write(binary.AppendUvarint(nil, uint64(len(tx))))
		h.Write(tx)
		h.Write(results[i].Data)
	}
	next.appHash = h.Sum(nil)
	for _, m := range req.Misbehavior {
		next.misbehavior = append(next.misbehavior, Misbehavior{Type: m.Type.String(), Validator: m.Validator.Address, Height: m.Height, AtBlock: req.Height})
	}
	if f := a.faults.BadAppHash; f != 0 && req.Height >= f {
		next.appHash[0] ^= 0xff
	}
	if f := a.faults.WrongResults; f != 0 && req.Height >= f {
		results = append(results, &abci.ExecTxResult{Code: abci.CodeTypeOK})
	}
	a.staged = &next
	return &abci.ResponseFinalizeBlock{TxResults: results, AppHash: next.appHash}, nil
}

// apply runs one transaction on s.
func (s *state) apply(tx []byte) *abci.ExecTxResult {
	op, err := ParseOp(tx)
	if err == errNotOp {
		s.writes++
		return &abci.ExecTxResult{Code: abci.CodeTypeOK}
	}
	if err != nil {
		return &abci.ExecTxResult{Code: 2, Log: err.Error()}
	}
	switch op.Kind {
	case Read:
		return &abci.ExecTxResult{Data: []byte(s.regs[op.Key])}
	case Write:
		s.regs[op.Key] = op.Value
		return &abci.ExecTxResult{Data: []byte(op.Value)}
	default: // CAS
		if s.regs[op.Key] != op.Value {
			return &abci.ExecTxResult{Data: []byte("fail")}
		}
		s.regs[op.Key] = op.New
		return &abci.ExecTxResult{Data: []byte("ok")}
	}
}

func (a *App) Commit(context.Context, *abci.RequestCommit) (*abci.ResponseCommit, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.staged == nil {
		return nil, fmt.Errorf("casapp: Commit without FinalizeBlock")
	}
	a.committed, a.staged = *a.staged, nil
	a.misbehavior = append(a.misbehavior, a.committed.misbehavior...)
	return &abci.ResponseCommit{}, nil
}

// Query answers "/misbehavior" with the recorded Misbehavior as JSON, and
// any other path with the value of the register named by Data.
func (a *App) Query(_ context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if req.Path == "/misbehavior" {
		b, err := json.Marshal(a.misbehavior)
		if err != nil {
			return nil, err
		}
		return &abci.ResponseQuery{Value: b, Height: a.committed.height}, nil
	}
	v, ok := a.committed.regs[string(req.Data)]
	res := &abci.ResponseQuery{Key: req.Data, Value: []byte(v), Height: a.committed.height}
	if !ok {
		res.Log = "does not exist"
	}
	return res, nil
}
