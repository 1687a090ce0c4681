package p2p

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/bftnode/bftnode/wire/wirepb"
)

// FuzzReadFrame feeds arbitrary bytes to the frame reader a peer's
// connection uses: it must return a frame, a violation or an I/O error,
// never panic or allocate past the channel's limit, and a frame it returns
// must be made of the bytes it read.
func FuzzReadFrame(f *testing.F) {
	var valid bytes.Buffer
	_ = writeFrame(&valid, ChannelConsensus, []byte("vote"))
	f.Add(valid.Bytes())
	f.Add([]byte{ChannelMempool, 0})
	f.Add(append([]byte{ChannelConsensus}, bytes.Repeat([]byte{0xff}, 10)...))
	f.Add([]byte{0x55, 2, 'h', 'i'})
	f.Add(appendFrameHeader(nil, ChannelBlocksync, 1<<20))
	limits := map[byte]int{ChannelConsensus: 1 << 16, ChannelBlocksync: 1 << 16, ChannelMempool: 1 << 10, controlChannel: maxControlBytes}
	limit := func(ch byte) (int, bool) { n, ok := limits[ch]; return n, ok }
	f.Fuzz(func(t *testing.T, data []byte) {
		ch, msg, err := readFrame(bufio.NewReader(bytes.NewReader(data)), limit)
		if err != nil {
			return
		}
		if max, ok := limit(ch); !ok || len(msg) > max {
			t.Fatalf("accepted a frame of %d bytes on channel %#x", len(msg), ch)
		}
		// A length may be a non-minimal uvarint; the channel and the
		// message must still be the bytes that were read.
		if ch != data[0] || !bytes.Contains(data[1:], msg) {
			t.Fatalf("frame (%#x, %x) is not what %x holds", ch, msg, data)
		}
	})
}

// FuzzReadHello feeds arbitrary bytes to the reader of a peer's first
// frame: a hello is decoded or refused, never a panic.
func FuzzReadHello(f *testing.F) {
	h := (&Host{cfg: Config{ChainID: "fuzz-chain", Version: "1.0.0"}, id: "abcd"}).hello()
	body, err := h.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	var valid bytes.Buffer
	_ = writeFrame(&valid, controlChannel, body)
	f.Add(valid.Bytes())
	f.Add([]byte{controlChannel, 3, 0x0a, 0xff, 0xff})
	f.Add([]byte{ChannelConsensus, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		hello, err := readHello(bufio.NewReader(bytes.NewReader(data)))
		if err == nil {
			_ = checkHello(hello, ID(hello.NodeID), &wirepb.Hello{ChainID: "fuzz-chain"})
		}
	})
}
