package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

func TestParseLevel(t *testing.T) {
	cases := []struct {
		in   string
		want slog.Level
	}{
		{"debug", slog.LevelDebug},
		{"info", slog.LevelInfo},
		{"INFO", slog.LevelInfo},
		{"warn", slog.LevelWarn},
		{"error", slog.LevelError},
		{"none", LevelNone},
		{"*:error", slog.LevelError},
		{"consensus:debug,*:error", slog.LevelError},
		{"consensus:debug, p2p:none , *:debug", slog.LevelDebug},
		{"consensus:debug", slog.LevelInfo}, // no "*": info, as CometBFT's default
	}
	for _, c := range cases {
		got, err := ParseLevel(c.in)
		if err != nil {
			t.Errorf("ParseLevel(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("ParseLevel(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestParseLevelRejects(t *testing.T) {
	for _, in := range []string{"", "verbose", "consensus:loud,*:info", "*:", ":info", "consensus:debug,info"} {
		if _, err := ParseLevel(in); err == nil {
			t.Errorf("ParseLevel(%q) accepted a bad level", in)
		}
	}
}

func TestNewFormatsAndLevel(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "json", slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("hidden")
	log.Info("shown", "height", 7)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("want one line at info level, got %q", buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatalf("json format wrote %q: %v", lines[0], err)
	}
	if rec["msg"] != "shown" || rec["height"] != float64(7) {
		t.Errorf("json record = %v", rec)
	}

	buf.Reset()
	log, err = New(&buf, "plain", LevelNone)
	if err != nil {
		t.Fatal(err)
	}
	log.Error("silenced")
	if buf.Len() != 0 {
		t.Errorf("level none wrote %q", buf.String())
	}

	buf.Reset()
	log, _ = New(&buf, "text", slog.LevelDebug)
	log.Debug("visible", "k", "v")
	if !strings.Contains(buf.String(), "msg=visible k=v") {
		t.Errorf("text format wrote %q", buf.String())
	}

	if _, err := New(&buf, "xml", slog.LevelInfo); err == nil || !strings.Contains(err.Error(), "xml") {
		t.Errorf("unknown format: err = %v", err)
	}
}
