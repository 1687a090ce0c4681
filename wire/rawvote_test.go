package wire

import (
	"encoding/binary"

	"github.com/bftnode/bftnode/consensus"
	"github.com/bftnode/bftnode/wire/wirepb"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
)

// rawVoteWithSeconds hand-encodes a consensus envelope holding v with a
// timestamp of secs seconds, which may lie outside what protobuf timestamps
// (and so gogoproto's marshaler) allow.
func rawVoteWithSeconds(v *consensus.Vote, secs int64) ([]byte, error) {
	inner := wirepb.Vote{Type: cmtproto.SignedMsgType(v.Type), Height: v.Height, Round: v.Round, ValidatorIndex: v.Validator, Signature: v.Signature}
	body, err := inner.Marshal()
	if err != nil {
		return nil, err
	}
	// google.protobuf.Timestamp{seconds = secs} as field 6 of the vote.
	ts := append([]byte{0x08}, binary.AppendUvarint(nil, uint64(secs))...)
	body = append(body, 0x32, byte(len(ts)))
	body = append(body, ts...)
	// The vote as field 2 of the envelope.
	out := []byte{0x12}
	out = binary.AppendUvarint(out, uint64(len(body)))
	return append(out, body...), nil
}
