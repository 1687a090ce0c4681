// Package statesync bootstraps a new node from a snapshot of the
// application instead of executing the chain from genesis, as CometBFT's
// state sync does and over the same messages (wire.StatesyncMessage on the
// snapshot and chunk channels).
//
// Every node serves its app's snapshots (Server). A node with [statesync]
// enable and no state runs a Syncer before anything else: it asks its
// peers which snapshots they serve, picks the highest one, has CometBFT's
// light client verify the headers of the snapshot's height and the two
// after it against the operator's rpc_servers (trust_height, trust_hash),
// offers the snapshot to the app with the verified app hash, fetches its
// chunks from the peers that serve it, several at once, applies them in
// order, and finally checks that the app reports the snapshot's height and
// the verified app hash. Anything the app or a peer gets wrong ends in a
// retry (another chunk, another peer, another snapshot) or an error that
// says what to do; the node's stores are written only once the app's
// state has been checked (see store.StateStore.Bootstrap), so a node
// killed during a restore starts over.
package statesync
