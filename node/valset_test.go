package node

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/types"

	"github.com/bftnode/bftnode/config"
	"github.com/bftnode/bftnode/internal/home"
)

// TestValidatorSetChangesTakeEffect adds a full node to the validator set
// and removes a validator, through the kvstore's validator transactions,
// and checks that the sets change at h+2 and that the new validator signs.
func TestValidatorSetChangesTakeEffect(t *testing.T) {
	if testing.Short() {
		t.Skip("runs five nodes")
	}
	for _, protocol := range []string{config.ProtocolTendermint, config.ProtocolPBFT} {
		t.Run(protocol, func(t *testing.T) {
			c := newClusterWithFullNodes(t, protocol, 4, 1)
			c.send(0, "before", "1")
			c.waitValue(4, "before", "1", 30*time.Second) // the full node follows

			newVal := c.pubKey(4)
			c.sendRaw(0, valTx(newVal, 10))
			h := c.waitValidators(0, 5, 30*time.Second)
			c.waitSigned(0, newVal.Address(), h+1, 30*time.Second)

			gone := c.pubKey(3)
			c.sendRaw(1, valTx(gone, 0))
			c.waitValidators(0, 4, 30*time.Second)
			c.stop(3) // no longer needed for quorum
			c.send(4, "after", "2")
			for _, i := range []int{0, 1, 2, 4} {
				c.waitValue(i, "after", "2", 30*time.Second)
			}
			if _, v := c.nodes[0].Engine().View().Validators.GetByAddress(gone.Address()); v != nil {
				t.Fatal("removed validator is still in the set")
			}
		})
	}
}

func valTx(pk crypto.PubKey, power int64) []byte {
	return []byte(fmt.Sprintf("val=%s!%s!%d", pk.Type(), base64.StdEncoding.EncodeToString(pk.Bytes()), power))
}

func (c *cluster) pubKey(i int) crypto.PubKey {
	c.t.Helper()
	cfg, err := config.Load(c.homes[i], nil)
	if err != nil {
		c.t.Fatal(err)
	}
	pv, err := home.LoadPrivValidatorKey(cfg.PrivValidatorKeyFile(), cfg.PrivValidatorStateFile())
	if err != nil {
		c.t.Fatal(err)
	}
	return pv.Key.PubKey
}

func (c *cluster) sendRaw(i int, tx []byte) {
	c.t.Helper()
	res, err := c.nodes[i].Mempool().CheckTx(context.Background(), tx, "")
	if err != nil || res.Code != 0 {
		c.t.Fatalf("node %d refused %q: %v %v", i, tx, err, res)
	}
}

// waitValidators waits until node i's next height is validated by n
// validators and returns the latest height at that moment.
func (c *cluster) waitValidators(i, n int, within time.Duration) int64 {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		v := c.nodes[i].Engine().View()
		if v.Validators != nil && v.Validators.Size() == n {
			return v.LatestHeight
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("node %d: validator set never reached %d members", i, n)
	return 0
}

// waitSigned waits for a block at or above from whose last commit carries
// addr's signature.
func (c *cluster) waitSigned(i int, addr []byte, from int64, within time.Duration) {
	c.t.Helper()
	deadline := time.Now().Add(within)
	for h := from; time.Now().Before(deadline); {
		b, err := c.nodes[i].blocks.LoadBlock(h)
		if err != nil || b == nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		for _, sig := range b.LastCommit.Signatures {
			if sig.BlockIDFlag == types.BlockIDFlagCommit && bytes.Equal(sig.ValidatorAddress, addr) {
				return
			}
		}
		h++
	}
	c.t.Fatalf("node %d: validator %X never signed a commit", i, addr)
}
