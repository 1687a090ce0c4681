package abci

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	abcitypes "github.com/cometbft/cometbft/abci/types"
)

// The app process dies while the node runs: the connections must report it
// on their own (no call in progress), every later call must refuse, and
// CheckTx callers waiting on the dead socket must all be answered.
func TestAppKilledMidRunIsReported(t *testing.T) {
	for _, proto := range []string{"tcp", "unix"} {
		t.Run(proto, func(t *testing.T) {
			srv := startSocketApp(t, newKVStore(), proto)
			conns := connectTest(t, srv.addr)
			ctx := testCtx(t)
			if _, err := conns.Consensus.InitChain(ctx, &abcitypes.RequestInitChain{}); err != nil {
				t.Fatalf("InitChain before the kill: %v", err)
			}
			runBlock(t, conns, 1, [][]byte{[]byte("a=1")})

			srv.stop()
			failure := waitFailed(t, conns)
			if !errors.Is(failure, ErrConnFailed) || !strings.Contains(failure.Error(), srv.addr) {
				t.Fatalf("failure = %v; want ErrConnFailed naming %s", failure, srv.addr)
			}
			_, err := conns.Consensus.FinalizeBlock(ctx, &abcitypes.RequestFinalizeBlock{Height: 2})
			if !errors.Is(err, ErrConnFailed) {
				t.Fatalf("FinalizeBlock after the kill: %v, want ErrConnFailed", err)
			}
			answered := make(chan error, 1)
			conns.Mempool.CheckTxAsync(&abcitypes.RequestCheckTx{Tx: []byte("x=1")},
				func(_ *abcitypes.ResponseCheckTx, err error) { answered <- err })
			if err := <-answered; !errors.Is(err, ErrConnFailed) {
				t.Fatalf("CheckTxAsync after the kill: %v, want ErrConnFailed", err)
			}
		})
	}
}

// blockingApp holds CheckTx until released, so requests are in flight when
// the app dies.
type blockingApp struct {
	abcitypes.BaseApplication
	entered chan struct{}
	release chan struct{}
}

func (a *blockingApp) CheckTx(context.Context, *abcitypes.RequestCheckTx) (*abcitypes.ResponseCheckTx, error) {
	select {
	case a.entered <- struct{}{}:
	default:
	}
	<-a.release
	return &abcitypes.ResponseCheckTx{}, nil
}

func TestInFlightCheckTxAnsweredWhenAppDies(t *testing.T) {
	app := &blockingApp{entered: make(chan struct{}, 1), release: make(chan struct{})}
	srv := startSocketApp(t, app, "unix")
	conns := connectTest(t, srv.addr)
	const n = 20
	errs := make(chan error, n)
	for i := range n {
		conns.Mempool.CheckTxAsync(&abcitypes.RequestCheckTx{Tx: []byte(fmt.Sprint(i))},
			func(_ *abcitypes.ResponseCheckTx, err error) { errs <- err })
	}
	go conns.Mempool.Flush(context.Background()) //nolint:errcheck // fails with the connection
	<-app.entered
	srv.stop()
	close(app.release)
	for range n {
		select {
		case err := <-errs:
			if !errors.Is(err, ErrConnFailed) {
				t.Fatalf("in-flight CheckTx answered %v, want ErrConnFailed", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("an in-flight CheckTx was never answered")
		}
	}
}

func TestCallerContextEndingIsNotAFailure(t *testing.T) {
	app := &blockingApp{entered: make(chan struct{}, 1), release: make(chan struct{})}
	srv := startSocketApp(t, app, "unix")
	conns := connectTest(t, srv.addr)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-app.entered; cancel() }()
	_, err := conns.Mempool.CheckTx(ctx, &abcitypes.RequestCheckTx{Tx: []byte("a=1")})
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrConnFailed) {
		t.Fatalf("CheckTx with a cancelled ctx: %v, want context.Canceled only", err)
	}
	close(app.release)
	if conns.Err() != nil {
		t.Fatalf("a caller giving up failed the connections: %v", conns.Err())
	}
	if _, err := conns.Query.Info(testCtx(t), &abcitypes.RequestInfo{}); err != nil {
		t.Fatalf("Info after a cancelled call: %v", err)
	}
}

func TestCloseIsNotAFailure(t *testing.T) {
	srv := startSocketApp(t, newKVStore(), "unix")
	conns := connectTest(t, srv.addr)
	if err := conns.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if conns.Err() != nil {
		t.Fatalf("Close reported a failure: %v", conns.Err())
	}
	_, err := conns.Query.Info(testCtx(t), &abcitypes.RequestInfo{})
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("Info after Close: %v, want ErrClosed", err)
	}
	done := make(chan error, 1)
	conns.Mempool.CheckTxAsync(&abcitypes.RequestCheckTx{Tx: []byte("a=1")},
		func(_ *abcitypes.ResponseCheckTx, err error) { done <- err })
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("CheckTxAsync after Close: %v, want ErrClosed", err)
	}
}

func TestConnectErrorsSayWhatToCheck(t *testing.T) {
	// A TCP port with nothing listening.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := "tcp://" + ln.Addr().String()
	ln.Close()

	// A TCP port where something that is not an ABCI app answers.
	notABCI, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer notABCI.Close()
	go func() {
		for {
			c, err := notABCI.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			c.Close()
		}
	}()

	cases := []struct {
		proxyApp string
		want     []string
	}{
		{closedPort, []string{closedPort, "is the app running", "abci-cli kvstore --address " + closedPort}},
		{"unix:///nonexistent/dir/app.sock", []string{"unix:///nonexistent/dir/app.sock", "abci-cli kvstore"}},
		{"tcp://" + notABCI.Addr().String(), []string{"did not answer an ABCI echo", "26658"}},
		{"grpc://127.0.0.1:26658", []string{"unsupported scheme", "tcp://host:port"}},
		{"kvstor", []string{"built-in app", "kvstore"}},
		{"tcp://", []string{"no address"}},
		{"persistent_kvstore", []string{"WithKVStoreDir"}},
	}
	for _, tc := range cases {
		t.Run(tc.proxyApp, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			conns, err := Connect(ctx, tc.proxyApp, nil)
			if err == nil {
				conns.Close()
				t.Fatalf("Connect(%q) succeeded", tc.proxyApp)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// Closing while checks are in flight must answer every caller and must not
// trip CometBFT's socket client, which panics when an answer arrives while
// Stop releases its requests.
func TestCloseWithChecksInFlight(t *testing.T) {
	srv := startSocketApp(t, newKVStore(), "unix")
	for round := range 20 {
		conns := connectTest(t, srv.addr)
		const n = 300
		answered := make(chan error, n)
		for i := range n {
			conns.Mempool.CheckTxAsync(&abcitypes.RequestCheckTx{Tx: []byte(fmt.Sprintf("k%d=v", i))},
				func(_ *abcitypes.ResponseCheckTx, err error) { answered <- err })
		}
		if err := conns.Close(); err != nil {
			t.Fatalf("round %d: Close: %v", round, err)
		}
		for range n {
			select {
			case err := <-answered:
				if err != nil && !errors.Is(err, ErrClosed) {
					t.Fatalf("round %d: a check in flight at Close got %v", round, err)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("round %d: a check in flight at Close was never answered", round)
			}
		}
	}
}
