package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// LevelNone silences the logger: no record is at or above it.
const LevelNone = slog.Level(1 << 20)

// ParseLevel reads a log level: "debug", "info", "warn", "error" or "none",
// or CometBFT's per-module form "consensus:debug,p2p:info,*:error". slog has
// one level per logger, so of the per-module form only the "*" entry is used
// (info if there is none); the other entries are still checked so a typo is
// reported rather than ignored.
func ParseLevel(s string) (slog.Level, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, ":") {
		return namedLevel(s)
	}
	level := slog.LevelInfo
	for _, entry := range strings.Split(s, ",") {
		module, name, ok := strings.Cut(strings.TrimSpace(entry), ":")
		module = strings.TrimSpace(module)
		if !ok || module == "" {
			return 0, fmt.Errorf("log level entry %q is not module:level; write e.g. \"consensus:debug,*:info\"", entry)
		}
		l, err := namedLevel(name)
		if err != nil {
			return 0, fmt.Errorf("log level entry %q: %w", entry, err)
		}
		if module == "*" {
			level = l
		}
	}
	return level, nil
}

func namedLevel(name string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	case "none":
		return LevelNone, nil
	}
	return 0, fmt.Errorf("unknown log level %q; use debug, info, warn, error or none", name)
}

// Format names accepted by New.
const (
	FormatPlain = "plain"
	FormatText  = "text"
	FormatJSON  = "json"
)

// New returns a logger writing to w in the given format ("plain" or "text"
// for key=value lines, "json" for one JSON object per line) at the given
// level and above.
func New(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(format) {
	case FormatPlain, FormatText:
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case FormatJSON:
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("unknown log format %q; use plain, text or json", format)
}
