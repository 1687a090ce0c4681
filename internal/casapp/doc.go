// Package casapp is a small ABCI 2.0 application for fault tests: a set
// of registers with read, write and compare-and-set, whose every operation
// runs as a transaction so that its answer is the one the chain decided.
// Any other transaction is stored as an opaque write.
//
// The application records the Misbehavior each FinalizeBlock reports
// (query path "/misbehavior"), and can be told to fail the way a broken
// application does: exit in the middle of FinalizeBlock, return the wrong
// number of transaction results, or return an application hash no other
// replica computes. The node must halt on such answers rather than commit
// them.
//
// Transactions are text: "op/<id>/read/<key>", "op/<id>/write/<key>/<value>"
// and "op/<id>/cas/<key>/<old>/<new>", where id makes every transaction
// unique. The result's Data is the value read, or "ok"/"fail" for
// compare-and-set; a write returns the value written.
package casapp
