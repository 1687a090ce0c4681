package abci

import (
	"log/slog"

	cmtlog "github.com/cometbft/cometbft/libs/log"
)

// cmtLogger lets CometBFT's ABCI clients and servers log through the node's
// slog logger, so their messages end up in the same stream.
type cmtLogger struct{ l *slog.Logger }

var _ cmtlog.Logger = cmtLogger{}

// CometLogger adapts a slog logger to CometBFT's logging interface.
func CometLogger(l *slog.Logger) cmtlog.Logger {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return cmtLogger{l: l}
}

func (c cmtLogger) Debug(msg string, keyvals ...any) { c.l.Debug(msg, keyvals...) }
func (c cmtLogger) Info(msg string, keyvals ...any)  { c.l.Info(msg, keyvals...) }
func (c cmtLogger) Error(msg string, keyvals ...any) { c.l.Error(msg, keyvals...) }

func (c cmtLogger) With(keyvals ...any) cmtlog.Logger {
	return cmtLogger{l: c.l.With(keyvals...)}
}
