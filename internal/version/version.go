package version

import (
	"runtime/debug"

	cmtversion "github.com/cometbft/cometbft/version"
)

// Semver is bftnode's semantic version.
const Semver = "0.1.0"

// GitCommit is the commit the binary was built from. Set it with
//
//	go build -ldflags "-X github.com/bftnode/bftnode/internal/version.GitCommit=$(git rev-parse --short HEAD)"
//
// Without it, the commit Go recorded in the build (if any) is used.
var GitCommit = ""

// Info is everything the version command prints.
type Info struct {
	Version       string `json:"version"`
	GitCommit     string `json:"git_commit"`
	ABCI          string `json:"abci"`
	BlockProtocol uint64 `json:"block_protocol"`
	P2PProtocol   uint64 `json:"p2p_protocol"`
	CometBFT      string `json:"cometbft"` // the release whose wire formats bftnode speaks
}

// Get returns the version information of this binary.
func Get() Info {
	return Info{
		Version:       Semver,
		GitCommit:     commit(),
		ABCI:          cmtversion.ABCISemVer,
		BlockProtocol: cmtversion.BlockProtocol,
		P2PProtocol:   cmtversion.P2PProtocol,
		CometBFT:      cmtversion.TMCoreSemVer,
	}
}

func commit() string {
	if GitCommit != "" {
		return GitCommit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				return s.Value
			}
		}
	}
	return "unknown"
}
