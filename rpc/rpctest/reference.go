package rpctest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// ReferenceEnv names an environment variable that, when set, points at
// another directory of captures to compare with.
const ReferenceEnv = "BFTNODE_RPC_REFERENCE"

// ReferenceDir is the directory of the captured answers: $ReferenceEnv, or
// rpc/testdata/cometbft-v0.38 of this module's source tree.
func ReferenceDir() (string, error) {
	if dir := os.Getenv(ReferenceEnv); dir != "" {
		return dir, nil
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the rpctest source to find the captures; set %s", ReferenceEnv)
	}
	return filepath.Join(filepath.Dir(filepath.Dir(file)), "testdata", "cometbft-v0.38"), nil
}

// Reference reads the capture called name (such as "block.json").
func Reference(name string) ([]byte, error) {
	dir, err := ReferenceDir()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, fmt.Errorf("reading the CometBFT capture %s: %w", name, err)
	}
	return b, nil
}

// WebsocketSession is the captured websocket session (ws.txt): the
// answers to the subscribe calls, in order, and the events that followed,
// keyed by the id of the subscribe call they answer (as JSON: "1", "2").
type WebsocketSession struct {
	Acks   [][]byte
	Events map[string][]byte
	// Queries maps the subscribe call's id to its query.
	Queries map[string]string
}

// subscribeCalls is how many subscribe calls open ws.txt.
const subscribeCalls = 5

// LoadWebsocketSession reads and splits ws.txt.
func LoadWebsocketSession() (*WebsocketSession, error) {
	raw, err := Reference("ws.txt")
	if err != nil {
		return nil, err
	}
	parts := strings.Split(string(raw), "-----")
	if len(parts) < subscribeCalls {
		return nil, fmt.Errorf("ws.txt has %d parts, fewer than its %d subscribe answers", len(parts), subscribeCalls)
	}
	s := &WebsocketSession{Events: map[string][]byte{}, Queries: map[string]string{}}
	for _, p := range parts[:subscribeCalls] {
		s.Acks = append(s.Acks, []byte(strings.TrimSpace(p)))
	}
	for _, p := range parts[subscribeCalls:] {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		var m struct {
			ID     json.RawMessage
			Result struct{ Query string }
		}
		if err := json.Unmarshal([]byte(p), &m); err != nil {
			return nil, fmt.Errorf("ws.txt holds a part that is not JSON: %w", err)
		}
		s.Events[string(m.ID)] = []byte(p)
		s.Queries[string(m.ID)] = m.Result.Query
	}
	return s, nil
}

// EventFor returns the captured event of the subscription to query.
func (s *WebsocketSession) EventFor(query string) ([]byte, bool) {
	for id, q := range s.Queries {
		if q == query {
			return s.Events[id], true
		}
	}
	return nil, false
}
