package node

import (
	"fmt"

	"github.com/cometbft/cometbft/libs/bits"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/rpc"
	"github.com/bftnode/bftnode/tendermint"
)

// nilVote is how CometBFT's consensus_state shows a validator that has not
// voted.
const nilVote = "nil-Vote"

// tendermintVotes is the current round's prevotes and precommits in
// consensus_state's height_vote_set: one entry per validator and CometBFT's
// bit array with the power that voted. The core keeps who voted, not the
// votes, so an entry names the validator, height, round and vote type
// without the block and signature CometBFT's vote strings also show.
func tendermintVotes(rs tendermint.RoundState, vals *types.ValidatorSet) rpc.RoundVotes {
	prevotes, prevoteBits := voteStrings(rs, rs.Prevotes, cmtproto.PrevoteType, "Prevote", vals)
	precommits, precommitBits := voteStrings(rs, rs.Precommits, cmtproto.PrecommitType, "Precommit", vals)
	return rpc.RoundVotes{
		Round:              rs.Round,
		Prevotes:           prevotes,
		PrevotesBitArray:   prevoteBits,
		Precommits:         precommits,
		PrecommitsBitArray: precommitBits,
	}
}

// voteStrings writes entries as CometBFT's Vote.String begins them:
// index, address fingerprint, height/round/type(name).
func voteStrings(rs tendermint.RoundState, s tendermint.VoteSummary, typ cmtproto.SignedMsgType, name string, vals *types.ValidatorSet) ([]string, string) {
	ba := bits.NewBitArray(len(s.Voted))
	out := make([]string, len(s.Voted))
	for i, voted := range s.Voted {
		out[i] = nilVote
		if !voted {
			continue
		}
		ba.SetIndex(i, true)
		var addr []byte
		if vals != nil {
			addr, _ = vals.GetByIndex(int32(i))
		}
		out[i] = fmt.Sprintf("Vote{%d:%X %d/%02d/%v(%s)}", i, cmtbytes.Fingerprint(addr), rs.Height, rs.Round, typ, name)
	}
	frac := 0.0
	if rs.TotalPower > 0 {
		frac = float64(s.Power) / float64(rs.TotalPower)
	}
	return out, fmt.Sprintf("%s %d/%d = %.2f", ba, s.Power, rs.TotalPower, frac)
}
