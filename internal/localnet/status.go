package localnet

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
)

// status prints one line a second: the chain's height, committed
// transactions per second, the protocol and its round or view, and the load.
type status struct {
	out      io.Writer
	tty      bool
	clients  []*rpchttp.HTTP
	protocol string
	// switchAt is the height the chain switches protocol at, 0 for none;
	// the line shows the switch coming and, once passed, where it was.
	switchAt int64
	load     *load
	height   int64
	txs      []int64 // committed txs in each of the last seconds
}

func newStatus(out io.Writer, rpcs []string, o Options, l *load) *status {
	s := &status{out: out, protocol: o.Protocol, load: l}
	if o.SwitchHeight > 0 {
		s.switchAt = o.SwitchHeight
	}
	if f, ok := out.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			s.tty = true
		}
	}
	for _, u := range rpcs {
		if c, err := rpchttp.New(u, "/websocket"); err == nil {
			s.clients = append(s.clients, c)
		}
	}
	return s
}

func (s *status) update(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 900*time.Millisecond)
	defer cancel()
	var heights []string
	var top int64
	up := 0
	for _, c := range s.clients {
		st, err := c.Status(ctx)
		if err != nil {
			heights = append(heights, "-")
			continue
		}
		up++
		h := st.SyncInfo.LatestBlockHeight
		heights = append(heights, fmt.Sprint(h))
		top = max(top, h)
	}
	committed := s.committedSince(ctx, top)
	s.txs = append(s.txs, committed)
	if len(s.txs) > 5 {
		s.txs = s.txs[1:]
	}
	var sum int64
	for _, n := range s.txs {
		sum += n
	}
	protocol, position := s.position(ctx)
	line := fmt.Sprintf("height %d  [%s]  %d/%d up  %.0f tx/s committed  %s %s%s  sent %d ok %d refused %d",
		top, strings.Join(heights, " "), up, len(s.clients), float64(sum)/float64(len(s.txs)),
		protocol, position, s.switchNote(protocol, top), s.load.sent.Load(), s.load.ok.Load(), s.load.refused.Load())
	if s.tty {
		fmt.Fprintf(s.out, "\r\033[K%s", line)
	} else {
		fmt.Fprintln(s.out, line)
	}
}

// committedSince counts the transactions in blocks after the last height
// seen, up to top.
func (s *status) committedSince(ctx context.Context, top int64) int64 {
	if s.height == 0 || top <= s.height || len(s.clients) == 0 {
		s.height = max(s.height, top)
		return 0
	}
	var n int64
	for lo := s.height + 1; lo <= top; lo += 20 {
		hi := min(top, lo+19)
		res, err := s.clients[0].BlockchainInfo(ctx, lo, hi)
		if err != nil {
			return n
		}
		for _, m := range res.BlockMetas {
			n += int64(m.NumTxs)
		}
	}
	s.height = top
	return n
}

// position is the protocol of the first node that answers and its round
// (Tendermint) or view (PBFT), from consensus_state.
func (s *status) position(ctx context.Context) (protocol, position string) {
	protocol = s.protocol
	for _, c := range s.clients {
		cs, err := c.ConsensusState(ctx)
		if err != nil {
			continue
		}
		var rs struct {
			Protocol string `json:"protocol"`
			HRS      string `json:"height/round/step"`
		}
		if jsonUnmarshal(cs.RoundState, &rs) == nil {
			if rs.Protocol != "" {
				protocol = rs.Protocol
			}
			if parts := strings.Split(rs.HRS, "/"); len(parts) >= 2 {
				return protocol, roundWord(protocol) + " " + parts[1]
			}
		}
	}
	return protocol, roundWord(protocol) + " ?"
}

func roundWord(protocol string) string {
	if protocol == "pbft" {
		return "view"
	}
	return "round"
}

// switchNote tells how far the scheduled switch is, or that it happened.
func (s *status) switchNote(protocol string, top int64) string {
	switch {
	case s.switchAt == 0:
		return ""
	case top+1 < s.switchAt:
		return fmt.Sprintf("  (switch in %d blocks)", s.switchAt-top-1)
	case protocol != s.protocol:
		return fmt.Sprintf("  (switched from %s at %d)", s.protocol, s.switchAt)
	}
	return "  (switching)"
}

func (s *status) finish() {
	if s.tty {
		fmt.Fprintln(s.out)
	}
}
