package indexer

import (
	"context"
	"errors"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/pubsub/query"
	"github.com/cometbft/cometbft/types"
	"github.com/syndtr/goleveldb/leveldb"
)

var txSpace = space{
	primary: prefixTx, byKey: prefixTxByKey, byValue: prefixTxByValue,
	idLen: heightLen + indexLen, itemIndex: true, heightTag: types.TxHeightKey, hashTag: types.TxHashKey,
}

// putTxs adds the entries of a block's transactions. A hash already indexed
// keeps pointing at its successful execution when this one failed, as in
// CometBFT, so that tx answers with the result that counted.
func (x *Indexer) putTxs(batch *leveldb.Batch, height int64, txs types.Txs, results []*abci.ExecTxResult) error {
	claimed := map[string]bool{} // hashes this block already pointed at a successful result
	post := x.txs
	post.reset()
	for i, tx := range txs {
		res := results[i]
		if res == nil {
			return fmt.Errorf("the result of transaction %d is missing", i)
		}
		id := txID(height, uint32(i))
		rec := abci.TxResult{Height: height, Index: uint32(i), Tx: tx, Result: *res}
		raw, err := rec.Marshal()
		if err != nil {
			return fmt.Errorf("encoding the result of transaction %d: %w", i, err)
		}
		batch.Put(primaryKey(prefixTx, id), raw)
		hash := tx.Hash()
		keep, err := x.keepsOlderResult(hash, res, claimed)
		if err != nil {
			return err
		}
		if !keep {
			batch.Put(append([]byte{prefixTxHash}, hash...), id)
			claimed[string(hash)] = res.IsOK()
		}
		post.add(uint32(i), res.Events)
	}
	post.write(batch, height)
	return nil
}

// keepsOlderResult tells whether the hash must keep pointing at an earlier,
// successful execution of the same transaction.
func (x *Indexer) keepsOlderResult(hash []byte, res *abci.ExecTxResult, claimed map[string]bool) (bool, error) {
	if res.IsOK() {
		return false, nil
	}
	if ok, seen := claimed[string(hash)]; seen {
		return ok, nil
	}
	old, err := x.GetTx(hash)
	if err != nil {
		return false, err
	}
	return old != nil && old.Result.IsOK(), nil
}

// GetTx returns the indexed transaction with hash, nil if there is none.
func (x *Indexer) GetTx(hash []byte) (*abci.TxResult, error) {
	if len(hash) == 0 {
		return nil, errors.New("transaction hash cannot be empty")
	}
	snap, err := x.db.GetSnapshot()
	if err != nil {
		return nil, fmt.Errorf("reading the transaction index: %w", err)
	}
	defer snap.Release()
	id, err := hashCandidate(snap, hash)
	if err != nil || id == nil {
		return nil, err
	}
	return loadTx(snap, id)
}

func loadTx(snap *leveldb.Snapshot, id []byte) (*abci.TxResult, error) {
	raw, err := snap.Get(primaryKey(prefixTx, id), nil)
	if err != nil {
		return nil, fmt.Errorf("reading transaction %d/%d from the index: %w", readHeight(id), readIndex(id), err)
	}
	rec := new(abci.TxResult)
	if err := rec.Unmarshal(raw); err != nil {
		return nil, fmt.Errorf("decoding transaction %d/%d from the index: %w; delete the indexer's directory and restart to rebuild it", readHeight(id), readIndex(id), err)
	}
	return rec, nil
}

func readIndex(id []byte) uint32 {
	return uint32(id[8])<<24 | uint32(id[9])<<16 | uint32(id[10])<<8 | uint32(id[11])
}

// SearchTxs returns the page pg of the transactions matching q, ordered by
// height and index, and how many match in all.
func (x *Indexer) SearchTxs(ctx context.Context, q *query.Query, pg Page) ([]*abci.TxResult, int, error) {
	p, err := newPlan(q, types.TxHeightKey, types.TxHashKey)
	if err != nil {
		return nil, 0, err
	}
	snap, err := x.db.GetSnapshot()
	if err != nil {
		return nil, 0, fmt.Errorf("reading the transaction index: %w", err)
	}
	defer snap.Release()
	if err := p.skipPruned(snap); err != nil {
		return nil, 0, err
	}
	eval := func(snap *leveldb.Snapshot, id []byte) (bool, error) {
		rec, err := loadTx(snap, id)
		if err != nil {
			return false, err
		}
		return p.heightMatches(rec.Height) && p.hashMatches(types.Tx(rec.Tx).Hash()) && p.eventsMatch(rec.Result.Events), nil
	}
	var ids [][]byte
	total := 0
	if p.hash != nil {
		ids, total, err = searchHash(snap, p, pg, eval)
	} else {
		ids, total, err = search(ctx, snap, txSpace, p, pg, eval)
	}
	if err != nil {
		return nil, 0, err
	}
	out := make([]*abci.TxResult, 0, len(ids))
	for _, id := range ids {
		rec, err := loadTx(snap, id)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, rec)
	}
	return out, total, nil
}

// searchHash answers a query with a tx.hash equality: at most one match.
func searchHash(snap *leveldb.Snapshot, p *plan, pg Page, eval evaluator) ([][]byte, int, error) {
	if err := pg.check(); err != nil {
		return nil, 0, err
	}
	id, err := hashCandidate(snap, p.hash)
	if err != nil || id == nil || p.heights.empty() {
		return nil, 0, err
	}
	ok, err := eval(snap, id)
	if err != nil || !ok {
		return nil, 0, err
	}
	col := &collector{skip: pg.skip(), size: pg.Size}
	col.add(id)
	return col.ids, col.total, nil
}
