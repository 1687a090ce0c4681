package wan

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// rpcTimeout bounds one status or block request.
const rpcTimeout = 5 * time.Second

var httpClient = &http.Client{Timeout: rpcTimeout}

// get calls a CometBFT JSON-RPC method by URI (GET /method?args) and
// decodes its result into out.
func get(ctx context.Context, endpoint, pathAndQuery string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/"+pathAndQuery, nil)
	if err != nil {
		return err
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s/%s: %w", endpoint, pathAndQuery, err)
	}
	return decodeResult(body, out)
}

// decodeResult unwraps a JSON-RPC answer.
func decodeResult(body []byte, out any) error {
	var r struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("not a JSON-RPC answer: %w", err)
	}
	if r.Error != nil {
		return fmt.Errorf("JSON-RPC error: %s %s", r.Error.Message, r.Error.Data)
	}
	return json.Unmarshal(r.Result, out)
}

// status is the part of /status the benchmark reads.
type status struct {
	NodeInfo struct {
		Network string `json:"network"`
	} `json:"node_info"`
	SyncInfo struct {
		LatestBlockHeight string `json:"latest_block_height"`
	} `json:"sync_info"`
	ValidatorInfo struct {
		Address string `json:"address"`
	} `json:"validator_info"`
}

func (s *status) height() (int64, error) {
	h, err := strconv.ParseInt(s.SyncInfo.LatestBlockHeight, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("status: latest_block_height %q is not a number: %w", s.SyncInfo.LatestBlockHeight, err)
	}
	return h, nil
}

func getStatus(ctx context.Context, endpoint string) (*status, error) {
	var s status
	if err := get(ctx, endpoint, "status", &s); err != nil {
		return nil, fmt.Errorf("status of %s: %w", endpoint, err)
	}
	return &s, nil
}

// absentFlag is CometBFT's BlockIDFlagAbsent: no vote from this validator
// in the commit. A commit (2) or nil (3) vote is a signature: x/slashing
// counts only absent ones as missed blocks.
const absentFlag = 1

// blockInfo is the part of /block the benchmark reads.
type blockInfo struct {
	Block struct {
		Header struct {
			Height          string `json:"height"`
			ProposerAddress string `json:"proposer_address"`
		} `json:"header"`
		LastCommit struct {
			Signatures []struct {
				BlockIDFlag int `json:"block_id_flag"`
			} `json:"signatures"`
		} `json:"last_commit"`
	} `json:"block"`
}

// signers counts the validators with a signature in the block's
// LastCommit, and the set's size.
func (b *blockInfo) signers() (signed, of int) {
	for _, s := range b.Block.LastCommit.Signatures {
		if s.BlockIDFlag != absentFlag {
			signed++
		}
	}
	return signed, len(b.Block.LastCommit.Signatures)
}

func getBlock(ctx context.Context, endpoint string, h int64) (*blockInfo, error) {
	var b blockInfo
	if err := get(ctx, endpoint, "block?height="+strconv.FormatInt(h, 10), &b); err != nil {
		return nil, fmt.Errorf("block %d from %s: %w", h, endpoint, err)
	}
	return &b, nil
}
