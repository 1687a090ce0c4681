// Package benchnet starts the networks the benchmark measures: a
// 4-validator CometBFT localnet and bftnode networks of either protocol,
// all on 127.0.0.1, each validator backed by its own `abci-cli kvstore`
// process over TCP. It installs CometBFT and abci-cli from the Go module
// proxy into a cache directory, lays out ports, edits CometBFT's
// config.toml, waits until every node answers, samples the nodes'
// resident memory from /proc and stops every process it started.
package benchnet
