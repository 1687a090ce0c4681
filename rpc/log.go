package rpc

import (
	"log/slog"

	cmtlog "github.com/cometbft/cometbft/libs/log"
)

// cmtLogger lets CometBFT's transport log through the node's slog logger.
type cmtLogger struct{ l *slog.Logger }

var _ cmtlog.Logger = cmtLogger{}

func (c cmtLogger) Debug(msg string, keyvals ...any) { c.l.Debug(msg, keyvals...) }
func (c cmtLogger) Info(msg string, keyvals ...any)  { c.l.Info(msg, keyvals...) }
func (c cmtLogger) Error(msg string, keyvals ...any) { c.l.Error(msg, keyvals...) }

func (c cmtLogger) With(keyvals ...any) cmtlog.Logger { return cmtLogger{c.l.With(keyvals...)} }
