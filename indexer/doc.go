// Package indexer keeps the transaction and block indexes behind the tx,
// tx_search and block_search routes, on goleveldb in a directory the node
// gives.
//
// It follows the semantics of CometBFT v0.38's "kv" indexer:
//
//   - every transaction is found by its hash and by tx.height; every block
//     by block.height;
//   - every attribute of a transaction's ExecTxResult events, or of a
//     block's FinalizeBlock events, that has index=true, a non-empty event
//     type and a non-empty key is found by "type.key";
//   - queries use CometBFT's query language (libs/pubsub/query): =, <, <=,
//     >, >=, CONTAINS, EXISTS joined by AND, with string, number, DATE and
//     TIME arguments compared as the query package compares them;
//   - the conditions on attributes must all hold within one event of the
//     transaction or block, as CometBFT v0.38 matches them through its event
//     sequence numbers; tx.height, block.height and tx.hash hold for the
//     whole transaction or block.
//
// Where CometBFT's kv indexer answers a query oddly, this package answers it
// as the query reads: every condition must hold (CometBFT drops an equality
// on the height when a range on it is present, and answers a tx.hash
// condition ignoring the others), and `key = 'v'` matches the value v only
// (CometBFT's prefix scan also matches values that start with "v/").
// Attributes named tx.hash, tx.height or block.height are not indexed: those
// names belong to the transaction or block itself.
//
// # Paging inside the store
//
// A search never holds all its results. Every key that can drive a search
// orders its entries by height (and index in the block), so one pass over a
// key range visits the candidates in result order, forwards for ascending
// and backwards for descending order. The pass counts every match for
// total_count and keeps only the requested page. The candidates come from
// the most selective key the query names: the transaction's hash, then an
// equality on an attribute, then any condition on an attribute, then the
// height range. When that key alone decides the query (a single attribute
// condition, plus height bounds), counting reads keys only; otherwise each
// candidate's stored events are checked against all conditions.
//
// # Layout
//
//	0x00 'L'                        last indexed height
//	0x00 'V'                        layout version (2)
//	0x00 'B'                        lowest kept height (see Pruning)
//	0x10 height index               abci.TxResult
//	0x11 hash                       height index of the transaction
//	0x12 |ck| height                postings (index, seq, |value|) of the block's transactions
//	0x13 |ck| |value| height        postings (index, seq)
//	0x20 height                     the block's FinalizeBlock events
//	0x22 |ck| height                postings (seq, |value|) of the block's events
//	0x23 |ck| |value| height        postings (seq)
//
// Heights are 8-byte and indexes and sequence numbers 4-byte big-endian;
// |s| is s preceded by its 4-byte length in keys (so no key's prefix is
// another key's) and by its uvarint length in postings. ck is "type.key",
// seq the event's position in its list. A block writes one list per
// attribute name and one per name and value, each in transaction and event
// order, instead of a key per attribute of every transaction: most blocks
// repeat names and many repeat values, and the write is what indexing
// costs. An index written in another layout is dropped at Open and built
// again from the stores.
//
// # Writing
//
// The node calls Index after a block's FinalizeBlock response is stored,
// and one batch (not synced) writes the block's transaction and block
// entries together with the new last indexed height, so a crash leaves a
// height either fully indexed or not at all. Recover, called at
// start, indexes the heights the stores hold above the last indexed one.
// Indexing a height again is a no-op, so replays after a crash are safe.
//
// # Pruning
//
// PruneBelow deletes the entries of the heights below a given one. Its
// first batch records that height as the lowest kept, and from then on
// searches start there and a hash naming a transaction below it is
// unknown, so a search never sees a height half pruned. The deletions
// follow in bounded batches, lowest records first: an item's hash key and
// posting lists are recomputed from its stored record, with the code that
// wrote them, and deleted in the record's batch, so whatever a crash
// leaves below the lowest kept height still has the record naming it, and
// the next prune deletes it. The hash of a transaction that succeeded and
// later failed names the success; once the success is pruned the hash is
// unknown, even while the failure is kept.
package indexer
