package mempool

import (
	"errors"
	"fmt"
)

// Config holds the mempool's limits, with CometBFT's meanings.
type Config struct {
	// Size is the most transactions the mempool holds (CometBFT's size).
	Size int
	// MaxTxsBytes is the most bytes all its transactions take together
	// (max_txs_bytes).
	MaxTxsBytes int64
	// MaxTxBytes is the largest transaction admitted (max_tx_bytes).
	MaxTxBytes int
	// CacheSize is how many recently seen transactions are remembered to
	// refuse duplicates, including ones already committed (cache_size).
	// Zero disables the cache; transactions in the mempool are still never
	// admitted twice.
	CacheSize int
	// Recheck makes the app check every remaining transaction again after
	// each block, dropping those that became invalid (recheck).
	Recheck bool
	// KeepInvalidTxsInCache keeps a transaction the app rejected in the
	// cache, so it is refused without asking the app again
	// (keep-invalid-txs-in-cache).
	KeepInvalidTxsInCache bool
	// Committed lists transactions of recently committed blocks, oldest
	// first. They start in the cache, so that after a restart neither a
	// stored copy nor a peer's late gossip brings one of them back into a
	// proposal.
	Committed [][]byte
}

// DefaultConfig is CometBFT's default [mempool] configuration.
func DefaultConfig() Config {
	return Config{
		Size:        5000,
		MaxTxsBytes: 1 << 30, // 1 GiB
		MaxTxBytes:  1 << 20, // 1 MiB
		CacheSize:   10000,
		Recheck:     true,
	}
}

// Validate says which limit is wrong and what it must be.
func (c Config) Validate() error {
	var errs []error
	if c.Size <= 0 {
		errs = append(errs, fmt.Errorf("mempool size = %d: must be positive (default 5000)", c.Size))
	}
	if c.MaxTxsBytes <= 0 {
		errs = append(errs, fmt.Errorf("mempool max_txs_bytes = %d: must be positive (default 1073741824)", c.MaxTxsBytes))
	}
	if c.MaxTxBytes <= 0 {
		errs = append(errs, fmt.Errorf("mempool max_tx_bytes = %d: must be positive (default 1048576)", c.MaxTxBytes))
	}
	if c.MaxTxBytes > 0 && c.MaxTxsBytes > 0 && int64(c.MaxTxBytes) > c.MaxTxsBytes {
		errs = append(errs, fmt.Errorf("mempool max_tx_bytes = %d exceeds max_txs_bytes = %d: "+
			"no transaction that large could ever be admitted", c.MaxTxBytes, c.MaxTxsBytes))
	}
	if c.CacheSize < 0 {
		errs = append(errs, fmt.Errorf("mempool cache_size = %d: must be zero or positive (default 10000)", c.CacheSize))
	}
	return errors.Join(errs...)
}
