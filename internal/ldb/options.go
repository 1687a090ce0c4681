package ldb

import "github.com/syndtr/goleveldb/leveldb/opt"

// Options returns the options of a database written mostly in key order
// (blocks, state and the mempool, all keyed by height or arrival): a 1 MiB
// write buffer and a 1 MiB block cache. goleveldb's defaults (a 4 MiB
// write buffer, which stays allocated twice over, and an 8 MiB cache) are
// sized for one database per process; a node has four, and the operating
// system's page cache already holds what they read. A table flushed from a
// small buffer of ordered keys overlaps nothing below it, so compaction
// only moves it.
func Options() *opt.Options {
	return &opt.Options{
		WriteBuffer:        1 * opt.MiB,
		BlockCacheCapacity: 1 * opt.MiB,
	}
}

// ScatteredOptions returns the options of a database whose keys arrive in
// no order (the transaction index: hashes and attribute values). Each
// table flushed from its write buffer overlaps the whole level below, so
// a small buffer would rewrite that level far more often; it keeps
// goleveldb's 4 MiB. Its tables are not compressed: most of their bytes
// are hashes, which snappy cannot shrink, and every flush and compaction
// rewrites them (snappy took about 4% of a node's CPU at saturation).
func ScatteredOptions() *opt.Options {
	o := Options()
	o.WriteBuffer = 4 * opt.MiB
	o.Compression = opt.NoCompression
	return o
}
