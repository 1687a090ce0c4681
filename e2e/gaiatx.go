//go:build cosmos

package e2e

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/cometbft/cometbft/crypto/secp256k1"
	"google.golang.org/protobuf/encoding/protowire"
)

// Bank sends for gaia, signed here rather than by gaiad's CLI (a process
// per transaction would be the bottleneck of a load): the Cosmos SDK's
// protobuf transaction (cosmos.tx.v1beta1.TxRaw) with one MsgSend, signed
// in SIGN_MODE_DIRECT by the sender's secp256k1 key, which gaiad's test
// keyring exports. Field numbers are the SDK's .proto files'.

// gaiaSender signs bank sends from one account with increasing sequences.
type gaiaSender struct {
	chainID  string
	key      secp256k1.PrivKey
	from     string
	number   uint64 // account number
	sequence uint64 // of the next transaction
}

// newGaiaSender reads the key of a test-keyring account and its account
// number and sequence from a node.
func newGaiaSender(g *GaiaChain, name, node string) (*gaiaSender, error) {
	out, err := g.runInput("y\n", "keys", "export", name, "--unarmored-hex", "--unsafe", "--keyring-backend", "test", "--home", g.Client)
	if err != nil {
		return nil, err
	}
	raw, err := hex.DecodeString(lastHexLine(out))
	if err != nil || len(raw) != secp256k1.PrivKeySize {
		return nil, fmt.Errorf("gaiad keys export %s: want a %d-byte hex key, got %q", name, secp256k1.PrivKeySize, out)
	}
	out, err = g.run("query", "auth", "account", g.Addrs[name], "--node", node, "--output", "json")
	if err != nil {
		return nil, err
	}
	var doc any
	if err := json.Unmarshal(out, &doc); err != nil {
		return nil, fmt.Errorf("query auth account %s: %w\n%s", name, err, out)
	}
	number, okN := findUint(doc, "account_number")
	sequence, _ := findUint(doc, "sequence") // absent before the first transaction
	if !okN {
		return nil, fmt.Errorf("query auth account %s: no account_number in %s", name, out)
	}
	return &gaiaSender{chainID: g.ChainID, key: secp256k1.PrivKey(raw), from: g.Addrs[name], number: number, sequence: sequence}, nil
}

// send returns the next signed transaction sending amount of the chain's
// denom to an address, paying fee for gasLimit gas.
func (s *gaiaSender) send(to string, amount, fee, gasLimit uint64) ([]byte, error) {
	msg := concat(pbString(1, s.from), pbString(2, to), pbBytes(3, coin(amount)))
	body := pbBytes(1, concat(pbString(1, "/cosmos.bank.v1beta1.MsgSend"), pbBytes(2, msg)))
	pub := concat(pbString(1, "/cosmos.crypto.secp256k1.PubKey"), pbBytes(2, pbBytes(1, s.key.PubKey().Bytes())))
	const signModeDirect = 1
	modeInfo := pbBytes(1, pbVarint(1, signModeDirect))
	signer := concat(pbBytes(1, pub), pbBytes(2, modeInfo), pbVarint(3, s.sequence))
	authInfo := concat(pbBytes(1, signer), pbBytes(2, concat(pbBytes(1, coin(fee)), pbVarint(2, gasLimit))))
	signDoc := concat(pbBytes(1, body), pbBytes(2, authInfo), pbString(3, s.chainID), pbVarint(4, s.number))
	sig, err := s.key.Sign(signDoc)
	if err != nil {
		return nil, err
	}
	s.sequence++
	return concat(pbBytes(1, body), pbBytes(2, authInfo), pbBytes(3, sig)), nil
}

func coin(amount uint64) []byte {
	return concat(pbString(1, gaiaDenom), pbString(2, strconv.FormatUint(amount, 10)))
}

func pbBytes(field protowire.Number, b []byte) []byte {
	out := protowire.AppendTag(nil, field, protowire.BytesType)
	return protowire.AppendBytes(out, b)
}

func pbString(field protowire.Number, s string) []byte { return pbBytes(field, []byte(s)) }

func pbVarint(field protowire.Number, v uint64) []byte {
	if v == 0 {
		return nil // proto3 leaves zero scalars out
	}
	out := protowire.AppendTag(nil, field, protowire.VarintType)
	return protowire.AppendVarint(out, v)
}

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// findUint finds the first key of that name in a JSON document and reads
// its value as an unsigned integer (the SDK writes them as strings).
func findUint(doc any, key string) (uint64, bool) {
	switch d := doc.(type) {
	case map[string]any:
		if v, ok := d[key]; ok {
			switch v := v.(type) {
			case string:
				n, err := strconv.ParseUint(v, 10, 64)
				return n, err == nil
			case float64:
				return uint64(v), true
			}
		}
		for _, v := range d {
			if n, ok := findUint(v, key); ok {
				return n, true
			}
		}
	case []any:
		for _, v := range d {
			if n, ok := findUint(v, key); ok {
				return n, true
			}
		}
	}
	return 0, false
}

// lastHexLine is the last line of out made of hex digits only.
func lastHexLine(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if _, err := hex.DecodeString(l); err == nil && l != "" {
			return l
		}
	}
	return ""
}
