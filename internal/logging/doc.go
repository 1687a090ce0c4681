// Package logging builds the node's log/slog logger from the log_level and
// log_format keys of config.toml, accepting CometBFT's level syntax so an
// existing config keeps working.
package logging
