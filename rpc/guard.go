package rpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	rpcserver "github.com/cometbft/cometbft/rpc/jsonrpc/server"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
)

// guardParams keeps requests that CometBFT's transport cannot take without
// panicking away from it:
//
//   - a URI parameter that is a lone double quote is both the start and the
//     end of a quoted integer to libs/json, which then slices out of range;
//     it gets the transport's invalid-params error;
//   - a JSON-RPC request without "params" makes the transport call the
//     route with too few arguments; it is given empty named parameters,
//     which is what CometBFT's clients send to mean "all defaults".
//
// A lone broadcast_tx_sync or broadcast_tx_async POST goes to fast instead,
// which answers it or declines.
func guardParams(next http.Handler, fast func(http.ResponseWriter, *http.Request, []byte) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && r.Method == http.MethodPost {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				res := rpctypes.RPCInvalidRequestError(nil, fmt.Errorf("error reading request body: %w", err))
				_ = rpcserver.WriteRPCResponseHTTPError(w, http.StatusBadRequest, res)
				return
			}
			if fast(w, r, body) {
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(withParams(body)))
		} else if r.URL.Path != "/" {
			if err := r.ParseForm(); err != nil {
				writeInvalidParams(w, fmt.Errorf("error converting http params to arguments: %w", err))
				return
			}
			for name, values := range r.Form {
				for _, v := range values {
					if v == `"` {
						writeInvalidParams(w, fmt.Errorf("error converting http params to arguments: parameter %s is a lone double quote; quote strings at both ends", name))
						return
					}
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

func writeInvalidParams(w http.ResponseWriter, err error) {
	res := rpctypes.RPCInvalidParamsError(rpctypes.JSONRPCIntID(-1), err)
	_ = rpcserver.WriteRPCResponseHTTPError(w, http.StatusInternalServerError, res)
}

// withParams adds empty params to the requests of body that have none; a
// body that is not a request or a batch is returned as it is, for the
// transport to refuse.
func withParams(body []byte) []byte {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return body
	}
	batch := trimmed[0] == '['
	var reqs []map[string]json.RawMessage
	if batch {
		if json.Unmarshal(trimmed, &reqs) != nil {
			return body
		}
	} else {
		var one map[string]json.RawMessage
		if json.Unmarshal(trimmed, &one) != nil || one == nil {
			return body
		}
		reqs = []map[string]json.RawMessage{one}
	}
	changed := false
	for _, req := range reqs {
		if req == nil {
			continue
		}
		if !hasParams(req) {
			req["params"] = json.RawMessage("{}")
			changed = true
		}
	}
	if !changed {
		return body
	}
	var out []byte
	var err error
	if batch {
		out, err = json.Marshal(reqs)
	} else {
		out, err = json.Marshal(reqs[0])
	}
	if err != nil {
		return body
	}
	return out
}

// hasParams looks for params as encoding/json would, ignoring case.
func hasParams(req map[string]json.RawMessage) bool {
	for k, v := range req {
		if strings.EqualFold(k, "params") && !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			return true
		}
	}
	return false
}
