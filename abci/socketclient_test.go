package abci

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

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

// heldApp is a socket app that reads requests as they come but writes each
// answer only when the test releases it, counting what it was asked.
type heldApp struct {
	addr     string
	requests chan *abcitypes.Request
	release  chan struct{}
}

func startHeldApp(t *testing.T) *heldApp {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	h := &heldApp{addr: "tcp://" + ln.Addr().String(), requests: make(chan *abcitypes.Request, 64), release: make(chan struct{}, 64)}
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		for {
			req := &abcitypes.Request{}
			if err := abcitypes.ReadMessage(r, req); err != nil {
				return
			}
			h.requests <- req
			<-h.release
			res := abcitypes.ToResponseFlush()
			if _, ok := req.Value.(*abcitypes.Request_CheckTx); ok {
				res = abcitypes.ToResponseCheckTx(&abcitypes.ResponseCheckTx{})
			}
			if err := abcitypes.WriteMessage(res, conn); err != nil {
				return
			}
		}
	}()
	return h
}

// Flush waits until the answer to every earlier request was handled,
// callbacks included, and with nothing unanswered asks the app nothing.
func TestSocketClientFlushWaitsOnlyForUnanswered(t *testing.T) {
	app := startHeldApp(t)
	cl := newSocketClient(app.addr)
	if err := cl.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Stop() })
	ctx := testCtx(t)

	called := make(chan struct{})
	rr, err := cl.CheckTxAsync(ctx, &abcitypes.RequestCheckTx{Tx: []byte("k=v")})
	if err != nil {
		t.Fatal(err)
	}
	rr.SetCallback(func(*abcitypes.Response) { close(called) })
	flushed := make(chan error, 1)
	go func() { flushed <- cl.Flush(ctx) }()
	if req := <-app.requests; req.GetCheckTx() == nil {
		t.Fatalf("first request %T, want a CheckTx", req.Value)
	}
	select {
	case err := <-flushed:
		t.Fatalf("Flush returned (%v) before the CheckTx was answered", err)
	case <-time.After(100 * time.Millisecond):
	}
	for range 3 { // the CheckTx, the writer's Flush, and Flush's own request
		app.release <- struct{}{}
	}
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	select {
	case <-called:
	default:
		t.Fatal("Flush returned before the CheckTx's callback ran")
	}

	for len(app.requests) > 0 {
		<-app.requests
	}
	if err := cl.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case req := <-app.requests:
		t.Fatalf("Flush with nothing unanswered sent a %T", req.Value)
	case <-time.After(100 * time.Millisecond):
	}
}
