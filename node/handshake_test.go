package node

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bftnode/bftnode/config"
)

// TestHandshakeReplaysBlocksTheAppLost wipes the application's state
// between two runs of a node: on restart the ABCI handshake must call
// InitChain again and replay every stored block, so the app answers
// queries for transactions committed before, and the chain goes on.
func TestHandshakeReplaysBlocksTheAppLost(t *testing.T) {
	if testing.Short() {
		t.Skip("runs nodes")
	}
	for _, protocol := range []string{config.ProtocolTendermint, config.ProtocolPBFT} {
		t.Run(protocol, func(t *testing.T) {
			c := newCluster(t, protocol, 1)
			for i := 0; i < 5; i++ {
				c.send(0, "k"+string(rune('a'+i)), "v")
			}
			c.waitValue(0, "ke", "v", 30*time.Second)
			c.stop(0)
			cfg, err := config.Load(c.homes[0], nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(filepath.Join(cfg.DBDir(), "kvstore")); err != nil {
				t.Fatal(err)
			}
			c.start(0)
			for i := 0; i < 5; i++ {
				c.waitValue(0, "k"+string(rune('a'+i)), "v", 10*time.Second)
			}
			c.send(0, "after", "restart")
			c.waitValue(0, "after", "restart", 30*time.Second)
		})
	}
}
