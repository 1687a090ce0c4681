package rpc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	cmtpubsub "github.com/cometbft/cometbft/libs/pubsub"
	rpcserver "github.com/cometbft/cometbft/rpc/jsonrpc/server"
	"github.com/rs/cors"

	"github.com/bftnode/bftnode/config"
)

// Server is a running RPC server.
type Server struct {
	http   *http.Server
	ln     net.Listener
	pprof  *http.Server
	pln    net.Listener
	conns  *connTracker
	cfg    config.RPCConfig
	cancel context.CancelFunc // ends the contexts of requests in flight
	served chan struct{}      // closed when the HTTP server stops serving

	once sync.Once
	err  error
}

// Start serves env's routes as cfg says: on cfg.ListenAddress (nothing when
// it is empty) and, when cfg.PprofListenAddress is set, Go's profiler there.
// The server runs until ctx ends or Shutdown is called.
func Start(ctx context.Context, cfg config.RPCConfig, env *Env, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("module", "rpc")
	conns := newConnTracker()
	rt, err := newRoutes(env, cfg, logger, conns)
	if err != nil {
		return nil, err
	}
	baseCtx, cancel := context.WithCancel(context.Background())
	s := &Server{conns: conns, cfg: cfg, cancel: cancel, served: make(chan struct{})}
	if cfg.ListenAddress == "" {
		close(s.served)
	} else if err := s.serveRPC(baseCtx, cfg, rt, logger); err != nil {
		cancel()
		return nil, err
	}
	if cfg.PprofListenAddress != "" {
		if err := s.servePprof(cfg.PprofListenAddress, logger); err != nil {
			s.Shutdown(context.Background())
			return nil, err
		}
	}
	go func() {
		select {
		case <-ctx.Done():
			stopCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
			defer stop()
			s.Shutdown(stopCtx)
		case <-baseCtx.Done():
		}
	}()
	return s, nil
}

// transportConfig is CometBFT's transport configuration from [rpc].
func transportConfig(cfg config.RPCConfig) *rpcserver.Config {
	c := rpcserver.DefaultConfig()
	c.MaxOpenConnections = cfg.MaxOpenConnections
	c.MaxBodyBytes = cfg.MaxBodyBytes
	c.MaxHeaderBytes = cfg.MaxHeaderBytes
	c.MaxRequestBatchSize = cfg.MaxRequestBatchSize
	// A broadcast_tx_commit answer must be writable after its full wait.
	if c.WriteTimeout <= cfg.TimeoutBroadcastTxCommit {
		c.WriteTimeout = cfg.TimeoutBroadcastTxCommit + time.Second
	}
	return c
}

func (s *Server) serveRPC(baseCtx context.Context, cfg config.RPCConfig, rt *routes, logger *slog.Logger) error {
	tc := transportConfig(cfg)
	mux := s.newMux(rt, tc, logger)
	var handler http.Handler = mux
	if len(cfg.CORSAllowedOrigins) > 0 {
		handler = cors.New(cors.Options{
			AllowedOrigins: cfg.CORSAllowedOrigins,
			AllowedMethods: cfg.CORSAllowedMethods,
			AllowedHeaders: cfg.CORSAllowedHeaders,
		}).Handler(mux)
	}
	ln, err := rpcserver.Listen(cfg.ListenAddress, tc.MaxOpenConnections)
	if err != nil {
		return fmt.Errorf("starting the RPC server ([rpc] laddr = %q): %w", cfg.ListenAddress, err)
	}
	s.ln = ln
	s.http = &http.Server{
		Handler:           rpcserver.PreChecksHandler(rpcserver.RecoverAndLogHandler(handler, cmtLogger{logger}), tc),
		ReadTimeout:       tc.ReadTimeout,
		ReadHeaderTimeout: tc.ReadTimeout,
		WriteTimeout:      tc.WriteTimeout,
		MaxHeaderBytes:    tc.MaxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return baseCtx },
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	logger.Info("serving JSON-RPC", "addr", ln.Addr().String())
	go func() {
		defer close(s.served)
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("the RPC server stopped", "err", err)
		}
	}()
	return nil
}

// newMux routes the URI routes, JSON-RPC on / and the websocket endpoint.
func (s *Server) newMux(rt *routes, tc *rpcserver.Config, logger *slog.Logger) http.Handler {
	return guardParams(s.transportMux(rt, tc, logger), rt.fastBroadcast)
}

// transportMux serves every route through CometBFT's transport.
func (s *Server) transportMux(rt *routes, tc *rpcserver.Config, logger *slog.Logger) http.Handler {
	funcs := rt.funcMap()
	mux := http.NewServeMux()
	wm := rpcserver.NewWebsocketManager(funcs,
		rpcserver.OnDisconnect(func(remoteAddr string) {
			if rt.env.EventBus == nil {
				return // inspecting or state syncing: no subscriptions
			}
			err := rt.env.EventBus.UnsubscribeAll(context.Background(), remoteAddr)
			if err != nil && !errors.Is(err, cmtpubsub.ErrSubscriptionNotFound) {
				logger.Error("unsubscribing a disconnected websocket client", "remote", remoteAddr, "err", err)
			}
		}),
		rpcserver.ReadLimit(tc.MaxBodyBytes),
		rpcserver.WriteChanCapacity(subscriptionBuffer),
	)
	wm.SetLogger(cmtLogger{logger.With("protocol", "websocket")})
	mux.HandleFunc("/websocket", s.conns.track(wm.WebsocketHandler))
	rpcserver.RegisterRPCFuncs(mux, funcs, cmtLogger{logger})
	return mux
}

func (s *Server) servePprof(addr string, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("starting the profiler ([rpc] pprof_laddr = %q): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	s.pln = ln
	s.pprof = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	logger.Info("serving the Go profiler", "addr", ln.Addr().String())
	go func() {
		if err := s.pprof.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("the profiler stopped", "err", err)
		}
	}()
	return nil
}

// Addr is the address the RPC server listens on, nil if it does not.
func (s *Server) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// PprofAddr is the profiler's address, nil if it does not run.
func (s *Server) PprofAddr() net.Addr {
	if s.pln == nil {
		return nil
	}
	return s.pln.Addr()
}

// Shutdown stops accepting connections, ends requests that wait (such as
// broadcast_tx_commit), closes websocket connections, ending their
// subscriptions, and waits for all of it until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.once.Do(func() { s.err = s.shutdown(ctx) })
	return s.err
}

func (s *Server) shutdown(ctx context.Context) error {
	s.cancel()
	var errs []error
	if s.http != nil {
		if err := s.http.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stopping the RPC server: %w", err))
		}
	}
	s.conns.closeAll()
	if s.pprof != nil {
		if err := s.pprof.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stopping the profiler: %w", err))
		}
	}
	select {
	case <-s.conns.wait():
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("websocket connections still closing: %w", ctx.Err()))
	}
	select {
	case <-s.served:
	case <-ctx.Done():
	}
	return errors.Join(errs...)
}
