// Package consensus is the contract between bftnode's consensus cores
// (packages pbft and tendermint) and the code that drives them (the engine
// and the simulator).
//
// A core is a deterministic state machine. It is stepped with one Input at a
// time and answers with the Actions the driver must carry out, in order. A
// core never performs I/O, never reads a clock, never starts a goroutine and
// never signs or verifies anything: the driver verifies a message's signature
// before it becomes an Input, and signs the messages a core asks it to
// broadcast. Same inputs, same actions; that is what lets the simulator prove
// a core and the engine replay its write-ahead log after a crash.
//
// The package also holds what both cores share: the messages of both
// protocols, the validator set with CometBFT's proposer-priority algorithm,
// and power-weighted quorum arithmetic (more than 2/3 and more than 1/3 of the
// voting power), the Outbox both cores emit their actions into, and the
// replay protocol (Resolve) both drivers follow when a restarted node replays its
// log. It imports nothing of the project.
package consensus
