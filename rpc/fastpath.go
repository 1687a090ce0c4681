package rpc

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/http"
	"strconv"

	cmtjson "github.com/cometbft/cometbft/libs/json"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"
	rpctypes "github.com/cometbft/cometbft/rpc/jsonrpc/types"
	"github.com/cometbft/cometbft/types"
)

// fastRequest is the part of a JSON-RPC request the broadcast path reads;
// encoding/json matches the names as CometBFT's transport does.
type fastRequest struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

// maxExactID bounds the integer ids taken on the fast path: CometBFT reads
// ids as float64, which is exact up to 2^53.
const maxExactID = 1 << 53

// fastBroadcast answers a lone JSON-RPC POST of broadcast_tx_sync or
// broadcast_tx_async without CometBFT's reflection-driven transport,
// writing the bytes that transport would. It is the hot path of a loaded
// node: clients send every transaction this way. Anything it does not
// recognise exactly (a batch, a notification, another method, unusual ids
// or parameters) it leaves alone, writing nothing and returning false, for
// the general path to answer.
func (rt *routes) fastBroadcast(w http.ResponseWriter, r *http.Request, body []byte) bool {
	trimmed := bytes.TrimSpace(body)
	if rt.env.Mempool == nil || len(trimmed) == 0 || trimmed[0] != '{' {
		// A node under inspection or restoring a snapshot has no
		// mempool; the general path answers that the method is not found.
		return false
	}
	var req fastRequest
	if json.Unmarshal(trimmed, &req) != nil {
		return false
	}
	async := req.Method == "broadcast_tx_async"
	if !async && req.Method != "broadcast_tx_sync" {
		return false
	}
	failed, idJSON, ok := fastID(req.ID)
	if !ok {
		return false
	}
	tx, ok := fastTxParam(req.Params)
	if !ok {
		return false
	}
	ctx := &rpctypes.Context{HTTPReq: r}
	var res *coretypes.ResultBroadcastTx
	var err error
	if async {
		res, err = rt.broadcastTxAsync(ctx, tx)
	} else {
		res, err = rt.broadcastTxSync(ctx, tx)
	}
	var out []byte
	if err != nil {
		out, err = json.Marshal(failed(err))
		if err != nil {
			return false
		}
	} else {
		out = appendBroadcastResponse(make([]byte, 0, 256), idJSON, res)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
	return true
}

// fastID reads a request id that is a JSON string or an integer CometBFT
// keeps exactly. It returns the error answer for that id and the id's JSON
// form for a successful one.
func fastID(raw json.RawMessage) (failed func(error) rpctypes.RPCResponse, idJSON []byte, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, nil, false // a notification: no answer
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, nil, false
		}
		enc, err := json.Marshal(s)
		if err != nil {
			return nil, nil, false
		}
		return func(err error) rpctypes.RPCResponse {
			return rpctypes.RPCInternalError(rpctypes.JSONRPCStringID(s), err)
		}, enc, true
	}
	for i, c := range raw {
		if (c < '0' || c > '9') && !(i == 0 && c == '-' && len(raw) > 1) {
			return nil, nil, false
		}
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || n >= maxExactID || n <= -maxExactID || n > math.MaxInt || n < math.MinInt {
		return nil, nil, false
	}
	return func(err error) rpctypes.RPCResponse {
		return rpctypes.RPCInternalError(rpctypes.JSONRPCIntID(int(n)), err)
	}, strconv.AppendInt(nil, n, 10), true
}

// fastTxParam reads the tx parameter, named ({"tx": ...}) or positional
// ([...]), decoded as the general path decodes it.
func fastTxParam(raw json.RawMessage) (types.Tx, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false
	}
	if tx, ok := plainTxParam(raw); ok {
		return tx, true
	}
	var txJSON json.RawMessage
	switch raw[0] {
	case '{':
		var named map[string]json.RawMessage
		if json.Unmarshal(raw, &named) != nil {
			return nil, false
		}
		txJSON = named["tx"]
	case '[':
		var positional []json.RawMessage
		if json.Unmarshal(raw, &positional) != nil || len(positional) != 1 {
			return nil, false
		}
		txJSON = positional[0]
	}
	txJSON = bytes.TrimSpace(txJSON)
	if len(txJSON) == 0 || txJSON[0] != '"' {
		return nil, false
	}
	var tx types.Tx
	if cmtjson.Unmarshal(txJSON, &tx) != nil {
		return nil, false
	}
	return tx, true
}

// plainTxParam reads the shape clients send, {"tx":"<base64>"} with no
// spaces and nothing else, without a JSON decoder: every byte between the
// quotes is in base64's alphabet, so the string needs no unescaping and
// decodes exactly as the general path decodes it. Anything else is left to
// that path.
func plainTxParam(raw []byte) (types.Tx, bool) {
	const prefix, suffix = `{"tx":"`, `"}`
	if len(raw) < len(prefix)+len(suffix) || !bytes.HasPrefix(raw, []byte(prefix)) || !bytes.HasSuffix(raw, []byte(suffix)) {
		return nil, false
	}
	enc := raw[len(prefix) : len(raw)-len(suffix)]
	for _, c := range enc {
		if !isBase64Char(c) {
			return nil, false
		}
	}
	tx := make(types.Tx, base64.StdEncoding.DecodedLen(len(enc)))
	n, err := base64.StdEncoding.Decode(tx, enc)
	if err != nil {
		return nil, false
	}
	return tx[:n], true
}

func isBase64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}

// appendBroadcastResponse appends the JSON-RPC answer CometBFT's transport
// writes for a ResultBroadcastTx: the envelope, then the result's fields in
// their declared order, bytes as upper-case hex and strings as encoding/json
// writes them.
func appendBroadcastResponse(b, idJSON []byte, res *coretypes.ResultBroadcastTx) []byte {
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = append(b, idJSON...)
	b = append(b, `,"result":{"code":`...)
	b = strconv.AppendUint(b, uint64(res.Code), 10)
	b = append(b, `,"data":"`...)
	b = appendUpperHex(b, res.Data)
	b = append(b, `","log":`...)
	b = appendJSONString(b, res.Log)
	b = append(b, `,"codespace":`...)
	b = appendJSONString(b, res.Codespace)
	b = append(b, `,"hash":"`...)
	b = appendUpperHex(b, res.Hash)
	return append(b, `"}}`...)
}

func appendUpperHex(b, data []byte) []byte {
	start := len(b)
	b = hex.AppendEncode(b, data)
	for i := start; i < len(b); i++ {
		if c := b[i]; c >= 'a' && c <= 'f' {
			b[i] = c - 'a' + 'A'
		}
	}
	return b
}

func appendJSONString(b []byte, s string) []byte {
	if s == "" {
		return append(b, `""`...)
	}
	enc, err := json.Marshal(s) // never fails for a string
	if err != nil {
		return append(b, `""`...)
	}
	return append(b, enc...)
}
