package p2p

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/bftnode/bftnode/wire/wirepb"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/p2p/conn"
)

// Limits on the free-text fields of a hello.
const (
	maxVersionLen    = 128
	maxListenAddrLen = 256
	maxScheduleLen   = 128
)

// errRefused marks a connection refused by policy (wrong chain, wrong ID,
// duplicate, banned, full) rather than broken by the network.
var errRefused = errors.New("connection refused")

func refusedf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errRefused, fmt.Sprintf(format, args...))
}

// errWrongPeer marks a refusal that says an address is of no use: another
// node than the one dialed answers there, or a node of another chain, or
// the node itself. The address book forgets such an address.
var errWrongPeer = errors.New("not the peer wanted")

func wrongPeerf(format string, args ...any) error {
	return fmt.Errorf("%w (%w): %s", errRefused, errWrongPeer, fmt.Sprintf(format, args...))
}

// errFull marks an inbound peer refused because the node has as many
// inbound peers as it accepts.
var errFull = errors.New("no room for another inbound peer")

// secureConn is a connection after the handshake: frames over the secret
// connection over the buffered TCP connection.
type secureConn struct {
	raw net.Conn
	bc  *bufferedConn
	r   *bufio.Reader
	w   *bufio.Writer
}

// flush pushes buffered frames through the secret connection to the socket.
func (c *secureConn) flush() error {
	if err := c.w.Flush(); err != nil {
		return err
	}
	return c.bc.Flush()
}

// handshake runs the secret-connection handshake on raw and exchanges
// hellos. want is the ID the caller dialed, or "" for an inbound
// connection. The whole exchange must finish within timeout.
func handshake(raw net.Conn, key *NodeKey, ours *wirepb.Hello, want ID, timeout time.Duration) (*secureConn, *wirepb.Hello, error) {
	if err := raw.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, nil, err
	}
	bc := newBufferedConn(raw)
	sc, err := conn.MakeSecretConnection(bc, key.PrivKey)
	if err != nil {
		return nil, nil, fmt.Errorf("secret connection handshake: %w", err)
	}
	if _, ok := sc.RemotePubKey().(ed25519.PubKey); !ok {
		return nil, nil, refusedf("peer key is %s; want ed25519", sc.RemotePubKey().Type())
	}
	remote := IDOf(sc.RemotePubKey())
	if want != "" && remote != want {
		return nil, nil, wrongPeerf("dialed node %s but the key that answered is node %s", want, remote)
	}
	c := &secureConn{raw: raw, bc: bc, r: bufio.NewReaderSize(sc, ioBufferSize), w: bufio.NewWriterSize(sc, ioBufferSize)}
	hello, err := ours.Marshal()
	if err != nil {
		return nil, nil, fmt.Errorf("encode hello: %w", err)
	}
	if err := writeFrame(c.w, controlChannel, hello); err != nil {
		return nil, nil, fmt.Errorf("send hello: %w", err)
	}
	if err := c.flush(); err != nil {
		return nil, nil, fmt.Errorf("send hello: %w", err)
	}
	theirs, err := readHello(c.r)
	if err != nil {
		return nil, nil, err
	}
	if err := checkHello(theirs, remote, ours); err != nil {
		return nil, nil, err
	}
	bc.autoFlush = false
	if err := raw.SetDeadline(time.Time{}); err != nil {
		return nil, nil, err
	}
	return c, theirs, nil
}

func readHello(r *bufio.Reader) (*wirepb.Hello, error) {
	ch, msg, err := readFrame(r, func(ch byte) (int, bool) { return maxControlBytes, ch == controlChannel })
	if err != nil {
		return nil, fmt.Errorf("read hello: %w", err)
	}
	if ch != controlChannel {
		return nil, violationf("first frame is on channel %#x; want a hello", ch)
	}
	var h wirepb.Hello
	if err := h.Unmarshal(msg); err != nil {
		return nil, violationf("malformed hello: %v", err)
	}
	return &h, nil
}

// checkHello checks the peer's hello against the key that authenticated the
// connection and against our chain and its protocol schedule.
func checkHello(h *wirepb.Hello, remote ID, ours *wirepb.Hello) error {
	if ID(h.NodeID) != remote {
		return violationf("hello names node %q but the connection's key is node %s", h.NodeID, remote)
	}
	if h.ChainID != ours.ChainID {
		return wrongPeerf("peer %s is on chain %q; this node is on %q", remote, h.ChainID, ours.ChainID)
	}
	if len(h.Version) > maxVersionLen || len(h.ListenAddr) > maxListenAddrLen || len(h.Schedule) > maxScheduleLen {
		return violationf("hello of %s has a version, listen address or schedule longer than %d/%d/%d bytes",
			remote, maxVersionLen, maxListenAddrLen, maxScheduleLen)
	}
	if h.Schedule != ours.Schedule {
		// Nodes on different schedules would run different protocols at
		// the same heights: neither could count the other's votes.
		return refusedf("peer %s runs the protocol schedule %q; this node runs %q: "+
			"every node of a chain must set the same [consensus] protocol, switch_height and switch_protocol",
			remote, h.Schedule, ours.Schedule)
	}
	return nil
}
