package benchnet

import (
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/bftnode/bftnode/internal/childproc"
)

// stopGrace is how long a process gets to exit after SIGTERM before it is
// killed.
const stopGrace = 10 * time.Second

// waitListening waits until something accepts TCP connections on addr,
// or the process exits, or the time runs out.
func waitListening(p *childproc.Process, addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			return nil
		}
		if !p.Alive() {
			return fmt.Errorf("%s before listening on %s", p.ExitReport(), addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New(p.Name + " did not listen on " + addr + " within " + within.String() + "; see " + p.Log.Name())
}
