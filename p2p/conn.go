package p2p

import (
	"bufio"
	"net"
)

// ioBufferSize is the size of the buffers between the TCP socket and the
// secret connection, and between the secret connection and the framer.
const ioBufferSize = 64 << 10

// bufferedConn sits between a TCP connection and CometBFT's secret
// connection. The secret connection seals every 1 KiB of data into its own
// frame and writes each one separately; buffering them here turns a burst
// of messages into a few large socket writes. During the handshake every
// write is flushed at once (the handshake is a conversation); afterwards
// the connection's writer flushes when its queues run dry.
type bufferedConn struct {
	net.Conn
	r         *bufio.Reader
	w         *bufio.Writer
	autoFlush bool
}

func newBufferedConn(c net.Conn) *bufferedConn {
	return &bufferedConn{Conn: c, r: bufio.NewReaderSize(c, ioBufferSize), w: bufio.NewWriterSize(c, ioBufferSize), autoFlush: true}
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *bufferedConn) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err == nil && c.autoFlush {
		err = c.w.Flush()
	}
	return n, err
}

// Flush writes out what is buffered.
func (c *bufferedConn) Flush() error { return c.w.Flush() }
