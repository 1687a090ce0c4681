package rpc

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkBroadcastTxSync measures the server's cost of one
// broadcast_tx_sync JSON-RPC POST over kept-alive connections, with a
// mempool that answers at once: the transport, the decoding of the request
// and the encoding of the answer. The clients write raw HTTP so that their
// own cost stays small beside the server's.
func BenchmarkBroadcastTxSync(b *testing.B) {
	tn := newTestNode(b, nil)
	addr := strings.TrimPrefix(tn.url, "http://")
	const conns = 16
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				b.Error(err)
				return
			}
			defer conn.Close()
			r := bufio.NewReader(conn)
			for next.Add(1) <= int64(b.N) {
				body := fmt.Sprintf(`{"jsonrpc":"2.0","id":7,"method":"broadcast_tx_sync","params":{"tx":"%s"}}`,
					b64(fmt.Sprintf("bench-%d=v", next.Load())))
				fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
				res, err := http.ReadResponse(r, nil)
				if err != nil {
					b.Error(err)
					return
				}
				var buf [4096]byte
				for {
					if _, err := res.Body.Read(buf[:]); err != nil {
						break
					}
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Errorf("status %d", res.StatusCode)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
