package node

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/state/statetest"
	"github.com/bftnode/bftnode/tendermint"
)

func TestTendermintVotesShowWhoVoted(t *testing.T) {
	s, _ := statetest.GenesisState(t, 10, 10, 10, 10)
	vals := s.Validators
	rs := tendermint.RoundState{
		Height: 7, Round: 1, TotalPower: 40,
		Prevotes:   tendermint.VoteSummary{Voted: []bool{true, false, true, true}, Power: 30},
		Precommits: tendermint.VoteSummary{Voted: []bool{false, false, false, true}, Power: 10},
	}
	got := tendermintVotes(rs, vals)
	if got.Round != 1 || got.PrevotesBitArray != "BA{4:x_xx} 30/40 = 0.75" || got.PrecommitsBitArray != "BA{4:___x} 10/40 = 0.25" {
		t.Errorf("bit arrays: %+v", got)
	}
	if len(got.Prevotes) != 4 || got.Prevotes[1] != nilVote || got.Precommits[0] != nilVote {
		t.Fatalf("vote strings: %q %q", got.Prevotes, got.Precommits)
	}
	addr, _ := vals.GetByIndex(2)
	want := fmt.Sprintf("Vote{2:%X 7/01/SIGNED_MSG_TYPE_PREVOTE(Prevote)}", addr[:6])
	if got.Prevotes[2] != want {
		t.Errorf("prevote of validator 2: %q, want %q", got.Prevotes[2], want)
	}
	if !strings.Contains(got.Precommits[3], "SIGNED_MSG_TYPE_PRECOMMIT(Precommit)") {
		t.Errorf("precommit of validator 3: %q", got.Precommits[3])
	}
	// Without a validator set the entries still say who voted.
	if v := tendermintVotes(rs, (*types.ValidatorSet)(nil)); v.Prevotes[0] == nilVote {
		t.Errorf("without validators: %q", v.Prevotes)
	}
}
