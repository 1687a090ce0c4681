package p2p

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkThroughput measures messages/s and MB/s from one host to another
// over loopback, through the secret connection, for several message sizes.
// The sender retries whenever its queue is full (after a short sleep, so as
// not to take the CPU from the connection it waits for), so the figure is
// what the connection sustains, not what the queue absorbs.
func BenchmarkThroughput(b *testing.B) {
	for _, size := range []int{256, 4 << 10, 64 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) { benchThroughput(b, size) })
	}
}

func benchThroughput(b *testing.B, size int) {
	keys := testKeys(2)
	recv := startHost(b, testConfig("127.0.0.1:0"), keys[1])
	var got atomic.Int64
	all := make(chan struct{})
	target := int64(b.N)
	if err := recv.Handle(ChannelMempool, func(_ ID, msg []byte) {
		if got.Add(1) == target {
			close(all)
		}
	}); err != nil {
		b.Fatal(err)
	}
	cfg := testConfig("")
	cfg.PersistentPeers = []string{fmt.Sprintf("%s@%s", recv.ID(), recv.ListenAddr())}
	send := startHost(b, cfg, keys[0])
	waitFor(b, 10*time.Second, "connection", func() bool { return hasPeer(send, recv.ID()) && hasPeer(recv, send.ID()) })

	msg := make([]byte, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		for !send.Send(recv.ID(), ChannelMempool, msg) {
			time.Sleep(20 * time.Microsecond)
		}
	}
	select {
	case <-all:
	case <-time.After(2 * time.Minute):
		b.Fatalf("received %d of %d messages", got.Load(), b.N)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}
