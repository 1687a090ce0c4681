package version

import "testing"

func TestGetReportsProtocolsAndCommit(t *testing.T) {
	info := Get()
	if info.Version != Semver || info.ABCI != "2.0.0" || info.BlockProtocol != 11 || info.P2PProtocol != 8 {
		t.Errorf("info = %+v", info)
	}
	if info.GitCommit == "" {
		t.Error("empty commit; want a commit or \"unknown\"")
	}
	old := GitCommit
	GitCommit = "abc1234"
	defer func() { GitCommit = old }()
	if Get().GitCommit != "abc1234" {
		t.Errorf("ldflags commit not used: %s", Get().GitCommit)
	}
}
