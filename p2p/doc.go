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
// Persistent peers are redialed forever with jittered exponential backoff,
// and do not count against the inbound and outbound limits.
//
// With PEX on, a node discovers peers as CometBFT's PEX reactor does. It
// keeps an address book (addrbook.go, saved atomically to
// config/addrbook.json and reloaded at start) of the listen addresses its
// peers announce and of the addresses they answer PEX requests with (on
// their own channel, as CometBFT's PexRequest and PexAddrs messages). A
// dialer (pexdial.go) dials addresses from the book until the node has
// its outbound peers, asks a peer for more when the book runs short and
// dials the seeds when it has no other peer. A seed answers a request and
// hangs up; a node with no room for another inbound peer tells it where
// else to try before hanging up. Requests are rate limited per node,
// answers accepted only when asked for and at most 100 addresses long,
// and only IP addresses that can be dialed are kept (with
// addr_book_strict, only those routable across the internet).
package p2p
