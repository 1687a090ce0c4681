// Package ldb holds the goleveldb options every database of a node opens
// with.
package ldb
