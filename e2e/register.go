package e2e

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/bftnode/bftnode/internal/casapp"
)

// regInput is one register operation as the checker sees it.
type regInput struct {
	Kind, Key, Value, New string
}

// regOutput is what the chain answered. Unknown means the client never
// learned the outcome (a timeout, a node down): the operation may or may
// not have taken effect, at any time after it was called.
type regOutput struct {
	Value   string // value read or written, "ok"/"fail" for CAS
	Unknown bool
}

// registerModel is a set of registers, initially "", partitioned by key
// (porcupine checks each register on its own).
var registerModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range h {
			k := op.Input.(regInput).Key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		st, in, out := state.(string), input.(regInput), output.(regOutput)
		switch in.Kind {
		case casapp.Read:
			return out.Unknown || out.Value == st, st
		case casapp.Write:
			return true, in.Value
		default: // CAS succeeds exactly when the register holds the old value
			if st == in.Value {
				return out.Unknown || out.Value == "ok", in.New
			}
			return out.Unknown || out.Value == "fail", st
		}
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(regInput), output.(regOutput)
		res := out.Value
		if out.Unknown {
			res = "?"
		}
		return fmt.Sprintf("%s(%s,%s,%s) -> %s", in.Kind, in.Key, in.Value, in.New, res)
	},
}

// RegisterLoad runs read / write / compare-and-set operations on a few
// registers as transactions (broadcast_tx_commit) and records the history
// for the linearizability checker.
type RegisterLoad struct {
	c       *Cluster
	tag     string
	targets []int
	keys    int

	mu      sync.Mutex
	history []porcupine.Operation
	start   time.Time
}

// NewRegisterLoad prepares a load on the given nodes over keys registers.
func NewRegisterLoad(c *Cluster, tag string, targets []int, keys int) *RegisterLoad {
	return &RegisterLoad{c: c, tag: tag, targets: targets, keys: keys, start: time.Now()}
}

// Run runs clients concurrent clients, each one operation at a time, until
// ctx ends.
func (r *RegisterLoad) Run(ctx context.Context, clients int, pause time.Duration) {
	var wg sync.WaitGroup
	for cl := 0; cl < clients; cl++ {
		wg.Add(1)
		go func(cl int) {
			defer wg.Done()
			r.client(ctx, cl, pause)
		}(cl)
	}
	wg.Wait()
}

func (r *RegisterLoad) client(ctx context.Context, cl int, pause time.Duration) {
	rng := rand.New(rand.NewPCG(uint64(cl)+1000, uint64(time.Now().UnixNano())))
	for seq := 0; ctx.Err() == nil; seq++ {
		op := casapp.Op{ID: fmt.Sprintf("%s-%d-%d", r.tag, cl, seq), Key: "r" + strconv.Itoa(rng.IntN(r.keys))}
		switch p := rng.IntN(10); {
		case p < 4:
			op.Kind = casapp.Read
		case p < 7:
			op.Kind, op.Value = casapp.Write, strconv.Itoa(rng.IntN(5))
		default:
			op.Kind, op.Value, op.New = casapp.CAS, strconv.Itoa(rng.IntN(5)), strconv.Itoa(rng.IntN(5))
		}
		r.do(ctx, cl, r.targets[rng.IntN(len(r.targets))], op)
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
}

// do runs one operation and records it, unless it certainly did not take
// effect (the node refused it in CheckTx).
func (r *RegisterLoad) do(ctx context.Context, cl, node int, op casapp.Op) {
	in := regInput{Kind: op.Kind, Key: op.Key, Value: op.Value, New: op.New}
	call := time.Since(r.start).Nanoseconds()
	out := regOutput{Unknown: true}
	ret := int64(math.MaxInt64) // unknown: may take effect any time later
	if client, err := r.c.Client(node); err == nil {
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		res, err := client.BroadcastTxCommit(cctx, op.Encode())
		cancel()
		switch {
		case err == nil && res.CheckTx.Code != 0:
			return // refused at admission: never in any mempool
		case err == nil && res.Height > 0 && res.TxResult.Code == 0:
			out, ret = regOutput{Value: string(res.TxResult.Data)}, time.Since(r.start).Nanoseconds()
		}
	}
	r.mu.Lock()
	r.history = append(r.history, porcupine.Operation{ClientId: cl, Input: in, Call: call, Output: out, Return: ret})
	r.mu.Unlock()
}

// Check runs porcupine on the history. It returns the verdict ("ok",
// "VIOLATION" or "unknown" if the checker timed out), the number of
// operations and how many of them had a known outcome.
func (r *RegisterLoad) Check(timeout time.Duration) (verdict string, ops, known int) {
	r.mu.Lock()
	h := append([]porcupine.Operation(nil), r.history...)
	r.mu.Unlock()
	return checkRegisters(h, timeout)
}

func checkRegisters(h []porcupine.Operation, timeout time.Duration) (verdict string, ops, known int) {
	for _, op := range h {
		if !op.Output.(regOutput).Unknown {
			known++
		}
	}
	switch porcupine.CheckOperationsTimeout(registerModel, h, timeout) {
	case porcupine.Ok:
		return "ok", len(h), known
	case porcupine.Illegal:
		return "VIOLATION", len(h), known
	}
	return "unknown (checker timed out)", len(h), known
}
