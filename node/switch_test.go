package node

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/bftnode/bftnode/config"
	"github.com/bftnode/bftnode/internal/testnet"
)

// soloHome is the home of a one-validator chain of the given protocol.
func soloHome(t *testing.T, protocol string) string {
	t.Helper()
	gen, err := testnet.Generate(testnet.Options{Validators: 1, OutputDir: t.TempDir(), NodeDirPrefix: "node",
		BasePort: freeBase(t, 10), Protocol: protocol, ChainID: "switch-test"})
	if err != nil {
		t.Fatal(err)
	}
	return gen[0].Dir
}

// runSolo runs the node of home, configured by edit, until its chain
// reaches height (then it returns nil) or the node stops with an error.
func runSolo(t *testing.T, home string, height int64, edit func(*config.ConsensusConfig)) (*Node, error) {
	t.Helper()
	cfg, err := config.Load(home, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Consensus.CreateEmptyBlocksInterval = 20 * time.Millisecond
	edit(&cfg.Consensus)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n, err := New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	defer n.Close()
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case err := <-done:
			return n, err
		case <-deadline:
			cancel()
			<-done
			t.Fatalf("the node did not reach height %d within 30s (at %d)", height, n.Engine().View().LatestHeight)
		case <-time.After(20 * time.Millisecond):
		}
		if n.Engine().View().LatestHeight >= height {
			cancel()
			return n, <-done
		}
	}
}

// A home written by one protocol, restarted on the other without a
// schedule, is refused with the protocol that wrote it and the way out, not
// as a damaged snapshot; with a schedule the same home switches and runs.
func TestHomeOfTheOtherProtocol(t *testing.T) {
	for _, c := range []struct{ wrote, other string }{
		{config.ProtocolPBFT, config.ProtocolTendermint},
		{config.ProtocolTendermint, config.ProtocolPBFT},
	} {
		t.Run(c.wrote, func(t *testing.T) {
			home := soloHome(t, c.wrote)
			if _, err := runSolo(t, home, 3, func(*config.ConsensusConfig) {}); err != nil {
				t.Fatal(err)
			}
			_, err := runSolo(t, home, 1<<40, func(cc *config.ConsensusConfig) { cc.Protocol = c.other })
			if err == nil {
				t.Fatal("a home written by the other protocol was accepted")
			}
			for _, want := range []string{"written by the " + c.wrote + " protocol", "switch_height", "unsafe-reset-all"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("refusal %q does not say %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "damaged, restore") {
				t.Errorf("refusal %q calls the home damaged", err)
			}

			n, err := runSolo(t, home, 8, func(cc *config.ConsensusConfig) {
				cc.SwitchHeight, cc.SwitchProtocol = 6, c.other
			})
			if err != nil {
				t.Fatalf("restart with a switch at 6: %v", err)
			}
			if v := n.Engine().View(); v.Protocol != c.other {
				t.Errorf("after the switch the engine runs %q, want %q", v.Protocol, c.other)
			}
			// Restarted after the switch, the node resumes the second
			// protocol from its own snapshot.
			n, err = runSolo(t, home, 10, func(cc *config.ConsensusConfig) {
				cc.SwitchHeight, cc.SwitchProtocol = 6, c.other
			})
			if err != nil {
				t.Fatalf("restart after the switch: %v", err)
			}
			if v := n.Engine().View(); v.Protocol != c.other {
				t.Errorf("restarted after the switch, the engine runs %q, want %q", v.Protocol, c.other)
			}
		})
	}
}
