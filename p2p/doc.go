// Package p2p connects a bftnode to its peers: authenticated, encrypted TCP
// connections carrying framed messages on a few channels.
//
// A connection starts with CometBFT's secret-connection handshake
// (station-to-station over X25519 and ChaCha20-Poly1305, authenticated by the
// node's ed25519 key from node_key.json), so a node ID is, as in CometBFT, the
// hex address of the node's public key. Inside the encrypted channel each side
// then sends a hello (node ID, chain ID, listen address, software version,
// validator or not); a peer whose ID is not the one dialed, whose chain
// differs, or that is already connected is refused.
//
// After the hello every frame is a channel byte, a uvarint length and the
// message. Each channel has a maximum message size; a frame above it, on an
// unknown channel or otherwise malformed disconnects the peer and counts as
// an offence, and repeated offences ban the peer for a while. Outgoing
// messages wait in bounded per-channel queues that the connection drains in
// channel priority order (consensus, then blocksync, then mempool), so
// mempool traffic never delays a vote; Send never blocks.
//
// Persistent peers are redialed forever with jittered exponential backoff.
// The package does not gossip addresses or discover peers: a node talks to
// its persistent peers, the peers that dial it, and the ones it is told to
// dial.
package p2p
