package bench

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"
)

// Limits of a run, so that every loop of the generator is bounded.
const (
	MaxSenders  = 4096
	MaxTxSize   = 1 << 20
	MaxDuration = time.Hour
	MaxGrace    = 10 * time.Minute
)

// Config describes one run of the load generator.
type Config struct {
	System   string // what is measured, e.g. "cometbft" or "bftnode-pbft"
	Workload string // which load, e.g. "saturation"

	Endpoints []string      // RPC base URLs, http://host:port; blocks are followed on the first
	Senders   int           // concurrent broadcast_tx_sync callers
	TxSize    int           // bytes per transaction
	Rate      float64       // transactions per second over all senders; 0 sends as fast as answers come
	Duration  time.Duration // the send window
	// Grace is how long to keep following blocks after the send window
	// for acknowledged transactions to commit; any still missing then is
	// lost.
	Grace time.Duration
	// RequestTimeout bounds one broadcast; a broadcast that times out
	// counts as an RPC error.
	RequestTimeout time.Duration

	// Progress receives a live line a second; nil prints nothing.
	Progress io.Writer
	// NetworkCPU, when set, reads the processor time of the measured
	// network's processes, so that the result splits the machine's time
	// between nodes, apps and the generator.
	NetworkCPU NetworkCPU
}

// DefaultConfig is a short saturation run against one local node.
func DefaultConfig() Config {
	return Config{
		System: "node", Workload: "saturation",
		Endpoints: []string{"http://127.0.0.1:26657"},
		Senders:   128, TxSize: 64, Duration: 20 * time.Second,
		Grace: 15 * time.Second, RequestTimeout: 10 * time.Second,
	}
}

// Validate says what is wrong with c, naming the setting.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Endpoints) == 0 {
		errs = append(errs, errors.New("endpoints: give at least one node RPC address, e.g. http://127.0.0.1:26657"))
	}
	for _, e := range c.Endpoints {
		u, err := url.Parse(e)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("endpoint %q: want http://host:port", e))
		}
	}
	if c.Senders < 1 || c.Senders > MaxSenders {
		errs = append(errs, fmt.Errorf("senders is %d; want 1 to %d", c.Senders, MaxSenders))
	}
	if c.TxSize < 1 || c.TxSize > MaxTxSize {
		errs = append(errs, fmt.Errorf("tx size is %d bytes; want 1 to %d", c.TxSize, MaxTxSize))
	}
	if c.Rate < 0 {
		errs = append(errs, fmt.Errorf("rate is %g; want 0 (unlimited) or more", c.Rate))
	}
	if c.Duration <= 0 || c.Duration > MaxDuration {
		errs = append(errs, fmt.Errorf("duration is %v; want more than 0 and at most %v", c.Duration, MaxDuration))
	}
	if c.Grace < 0 || c.Grace > MaxGrace {
		errs = append(errs, fmt.Errorf("grace is %v; want 0 to %v", c.Grace, MaxGrace))
	}
	if c.RequestTimeout <= 0 || c.RequestTimeout > time.Minute {
		errs = append(errs, fmt.Errorf("request timeout is %v; want more than 0 and at most 1m", c.RequestTimeout))
	}
	return errors.Join(errs...)
}
