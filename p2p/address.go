package p2p

import (
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cmtp2p "github.com/cometbft/cometbft/p2p"
)

// ID is a node ID: the lower-case hex of the address of the node's ed25519
// public key, as in CometBFT.
type ID string

// NodeKey is CometBFT's node key (node_key.json).
type NodeKey = cmtp2p.NodeKey

// LoadOrGenNodeKey loads the node key at path, creating it (with a fresh
// ed25519 key) if the file does not exist, as CometBFT does.
func LoadOrGenNodeKey(path string) (*NodeKey, error) {
	key, err := cmtp2p.LoadOrGenNodeKey(path)
	if err != nil {
		return nil, fmt.Errorf("load node key %s: %w (delete it to generate a new one)", path, err)
	}
	if _, ok := key.PrivKey.(ed25519.PrivKey); !ok {
		return nil, fmt.Errorf("node key %s is a %s key; bftnode needs ed25519", path, key.PrivKey.Type())
	}
	return key, nil
}

// IDOf returns the node ID of a public key.
func IDOf(pub crypto.PubKey) ID { return ID(hex.EncodeToString(pub.Address())) }

func (id ID) validate() error {
	if len(id) != 2*crypto.AddressSize {
		return fmt.Errorf("node ID %q has %d characters; want %d hex digits", id, len(id), 2*crypto.AddressSize)
	}
	if _, err := hex.DecodeString(string(id)); err != nil || strings.ToLower(string(id)) != string(id) {
		return fmt.Errorf("node ID %q is not lower-case hex", id)
	}
	return nil
}

// Address is a peer to dial: its node ID and "host:port".
type Address struct {
	ID       ID
	HostPort string
}

func (a Address) String() string { return string(a.ID) + "@" + a.HostPort }

// ParseAddress parses "id@host:port" (optionally prefixed "tcp://"). The
// host is resolved when dialing, not here.
func ParseAddress(s string) (Address, error) {
	rest := strings.TrimPrefix(strings.TrimSpace(s), "tcp://")
	id, hostPort, ok := strings.Cut(rest, "@")
	if !ok {
		return Address{}, fmt.Errorf("peer address %q: want id@host:port", s)
	}
	if err := ID(id).validate(); err != nil {
		return Address{}, fmt.Errorf("peer address %q: %w", s, err)
	}
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil || host == "" {
		return Address{}, fmt.Errorf("peer address %q: want id@host:port (%v)", s, err)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return Address{}, fmt.Errorf("peer address %q: port %q is not in 1-65535", s, port)
	}
	return Address{ID: ID(id), HostPort: hostPort}, nil
}
