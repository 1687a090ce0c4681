// Package version says which bftnode this is and which protocol versions it
// speaks: the ABCI, block and p2p versions of the CometBFT release whose
// wire formats it implements.
package version
