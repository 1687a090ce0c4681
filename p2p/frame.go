package p2p

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// A frame is a channel byte, the message length as a uvarint and the
// message. The header is at most this long.
const maxFrameHeader = 1 + binary.MaxVarintLen64

// maxControlBytes bounds a frame on the control channel (a hello).
const maxControlBytes = 4096

// violation is a frame that breaks the protocol: the peer is faulty or
// hostile, so besides dropping the connection it earns a penalty.
type violation struct{ reason string }

func (v *violation) Error() string { return "protocol violation: " + v.reason }

func violationf(format string, args ...any) error {
	return &violation{fmt.Sprintf(format, args...)}
}

func isViolation(err error) bool {
	var v *violation
	return errors.As(err, &v)
}

// appendFrameHeader appends the header of a frame of n bytes on ch.
func appendFrameHeader(b []byte, ch byte, n int) []byte {
	b = append(b, ch)
	return binary.AppendUvarint(b, uint64(n))
}

// writeFrame writes one frame to w.
func writeFrame(w io.Writer, ch byte, msg []byte) error {
	var hdr [maxFrameHeader]byte
	h := appendFrameHeader(hdr[:0], ch, len(msg))
	if _, err := w.Write(h); err != nil {
		return err
	}
	_, err := w.Write(msg)
	return err
}

// readFrame reads one frame. limit reports the largest message allowed on a
// channel, and false for a channel that does not exist. A violation error
// means the peer broke the framing rules; any other error is the
// connection's.
func readFrame(r *bufio.Reader, limit func(ch byte) (int, bool)) (byte, []byte, error) {
	ch, err := r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, err := readLength(r, ch)
	if err != nil {
		return 0, nil, err
	}
	max, ok := limit(ch)
	if !ok {
		return 0, nil, violationf("frame on unknown channel %#x", ch)
	}
	if n > uint64(max) {
		return 0, nil, violationf("frame of %d bytes on channel %#x exceeds its %d-byte limit", n, ch, max)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		return 0, nil, err
	}
	return ch, msg, nil
}

// readLength reads a frame's uvarint length. A length longer than
// binary.MaxVarintLen64 bytes or overflowing 64 bits is a violation.
func readLength(r io.ByteReader, ch byte) (uint64, error) {
	var n uint64
	for i := 0; i < binary.MaxVarintLen64; i++ {
		b, err := r.ReadByte()
		if err != nil {
			return 0, err
		}
		if i == binary.MaxVarintLen64-1 && b > 1 {
			break
		}
		n |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			return n, nil
		}
	}
	return 0, violationf("frame length on channel %#x overflows 64 bits", ch)
}
