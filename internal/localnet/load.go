package localnet

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
)

// load sends unique key=value transactions at a steady rate, round robin
// over the nodes, so the network has something to commit.
type load struct {
	rpcs              []string
	rate              int
	sent, ok, refused atomic.Int64
}

func newLoad(rpcs []string, rate int) *load { return &load{rpcs: rpcs, rate: rate} }

func (l *load) run(ctx context.Context) {
	if l.rate <= 0 || len(l.rpcs) == 0 {
		return
	}
	var clients []*rpchttp.HTTP
	for _, u := range l.rpcs {
		c, err := rpchttp.New(u, "/websocket")
		if err != nil {
			return
		}
		clients = append(clients, c)
	}
	tick := time.NewTicker(time.Second / time.Duration(l.rate))
	defer tick.Stop()
	start := time.Now().UnixNano()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		c := clients[i%len(clients)]
		tx := []byte(fmt.Sprintf("localnet-%d-%d=%d", start, i, i))
		l.sent.Add(1)
		go func() {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			res, err := c.BroadcastTxSync(cctx, tx)
			if err == nil && res.Code == 0 {
				l.ok.Add(1)
			} else if ctx.Err() == nil {
				l.refused.Add(1)
			}
		}()
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
