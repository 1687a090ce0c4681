package abci

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	abcitypes "github.com/cometbft/cometbft/abci/types"
)

func TestAnswersMatchesRequestKinds(t *testing.T) {
	check := abcitypes.ToRequestCheckTx(&abcitypes.RequestCheckTx{})
	if !answers(check, abcitypes.ToResponseCheckTx(&abcitypes.ResponseCheckTx{})) {
		t.Error("a CheckTx answer to a CheckTx was refused")
	}
	if answers(check, abcitypes.ToResponseFlush()) {
		t.Error("a Flush answer to a CheckTx was accepted")
	}
	if answers(&abcitypes.Request{}, abcitypes.ToResponseFlush()) {
		t.Error("an answer to an empty request was accepted")
	}
}

// Many requests from many goroutines, synchronous and pipelined mixed,
// each gets its own answer.
func TestSocketClientAnswersConcurrentRequestsInOrder(t *testing.T) {
	app := startSocketApp(t, newKVStore(), "tcp")
	cl := newSocketClient(app.addr)
	if err := cl.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Stop() })
	ctx := testCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				msg := fmt.Sprintf("g%d-%d", g, i)
				res, err := cl.Echo(ctx, msg)
				if err != nil || res.Message != msg {
					errs <- fmt.Errorf("echo %q: %v %v", msg, res, err)
					return
				}
				rr, err := cl.CheckTxAsync(ctx, &abcitypes.RequestCheckTx{Tx: []byte(msg + "=v")})
				if err != nil {
					errs <- err
					return
				}
				rr.Wait()
				if rr.Response.GetCheckTx() == nil {
					errs <- fmt.Errorf("CheckTx %s answered with %v", msg, rr.Response)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A request made after the client stopped fails at once, and one waiting
// when it stops is released.
func TestSocketClientStopReleasesCallers(t *testing.T) {
	app := startSocketApp(t, newKVStore(), "unix")
	cl := newSocketClient(app.addr)
	if err := cl.Start(); err != nil {
		t.Fatal(err)
	}
	// One answer first: the server then holds the connection, so its stop
	// closes it (a connection it had not registered yet would stay open).
	if _, err := cl.Echo(context.Background(), "before"); err != nil {
		t.Fatal(err)
	}
	app.stop() // the app goes away: the reader fails and the client stops
	<-cl.Quit()
	if cl.Error() == nil {
		t.Error("the client stopped without saying why")
	}
	if _, err := cl.Echo(context.Background(), "x"); !errors.Is(err, errClientStopped) {
		t.Errorf("a request after the stop: %v", err)
	}
}
