// Command casapp serves the register application of package casapp over
// ABCI's socket protocol, for fault tests.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/cometbft/cometbft/abci/server"

	"github.com/bftnode/bftnode/internal/casapp"
)

func main() {
	addr := flag.String("address", "tcp://127.0.0.1:26658", "where to listen: tcp://host:port or unix:///path")
	var f casapp.Faults
	flag.Int64Var(&f.ExitInFinalize, "exit-in-finalize", 0, "exit in the middle of FinalizeBlock of this height (0: never)")
	flag.Int64Var(&f.WrongResults, "wrong-results", 0, "from this height on, return one FinalizeBlock result too many (0: never)")
	flag.Int64Var(&f.BadAppHash, "bad-app-hash", 0, "from this height on, return a wrong application hash (0: never)")
	flag.Parse()
	srv := server.NewSocketServer(*addr, casapp.New(f))
	if err := srv.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "casapp: listening on %s: %v\n", *addr, err)
		os.Exit(1)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	_ = srv.Stop()
}
