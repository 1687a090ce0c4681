// Package config holds the node's configuration: the Config struct with its
// defaults, the commented config.toml it writes, the layered loading of that
// file (flag > BFTNODE_* environment variable > file > default) and the
// validation that names every bad key.
//
// The keys follow CometBFT v0.38's config.toml wherever bftnode has the same
// concept, so an operator's existing habits (proxy_app, [rpc] laddr,
// [p2p] persistent_peers, [mempool] size, ...) carry over. The struct is the
// single source of truth: the list of keys, their one-line comments, the
// written file and the command-line flags are all derived from its tags, so
// they cannot drift apart.
package config
