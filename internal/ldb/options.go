package ldb

import "github.com/syndtr/goleveldb/leveldb/opt"

// Options returns the options a node's databases open with. goleveldb's
// default block cache (8 MiB) is sized for one database per process; a
// node has four, and the operating system's page cache already holds what
// they read, so each keeps 1 MiB. The write buffer stays at 4 MiB: smaller
// ones made the node spend noticeably more on compaction under load.
func Options() *opt.Options {
	return &opt.Options{
		WriteBuffer:        4 * opt.MiB,
		BlockCacheCapacity: 1 * opt.MiB,
	}
}
