// Package wirepb is the Go code generated from proto/bftnode/wire/*.proto by
// `make proto`. Use package wire to turn these messages into validated
// consensus values; never hand a wirepb value from a peer to a core directly.
package wirepb
