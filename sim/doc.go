// Package sim is bftnode's deterministic simulator. It runs n nodes of any
// consensus core (anything implementing consensus.Core) in one goroutine on
// a virtual clock, over a simulated network that delays, drops, duplicates,
// reorders and partitions messages, crashes nodes and restarts them from
// what they persisted (replaying their log by the engine's protocol,
// consensus.Resolve), and lets Byzantine validators equivocate, withhold,
// replay, mutate, propose invalid values or run as twins. The lock family
// pairs an adaptive network with colluding Byzantine validators to attack
// the rules that carry a value across rounds (Tendermint's locks, PBFT's
// P sets): the cores must stay safe under it, and variants that break
// those rules must not. The stalepol family adds Byzantine proposers that
// re-propose with a stale POL round (a polka the network hid in round 0,
// after the honest validators locked on another value) or a forged one;
// in PBFT its new primaries also forge NEW-VIEWs (O's values or sequence
// numbers, or V made of their own view changes repeated) and its
// attackers the P sets of their view changes; in even seeds the hidden
// PBFT value is certified in a later view with the view-0 PREPAREs.
// The censor and saturate families add transactions (txs.go): in censor
// the first primaries leave one chosen transaction out of every block, idle
// or under load, and every honest node must still commit it; in saturate
// honest validators get more transactions than blocks hold, every one must
// be committed, and a protocol whose views persist (PBFT) must not leave
// view 0.
// The forgedsync family answers block sync with forged blocks.
// The laggard family has one validator sleep (crashed) through a whole
// rotation of leaders: it goes down in round (view) 1 while the network
// loses the next N rounds' proposals (PBFT: NEW-VIEWs), and wakes, still in
// round (view) 1, when the leader of that round leads again.
//
// Every node has a driver that does what the engine does: it logs each input
// to a write-ahead log before stepping the core, makes the log durable before
// signing, signs with double-sign protection, verifies every signature (also
// of nested messages) before a message becomes an input, answers the
// application's requests, executes decided blocks in height order and serves
// block sync. A checker runs after every step: agreement, validity,
// integrity, no double sign, no evidence against an honest validator, no
// VIEW-CHANGE or CHECKPOINT of an honest validator refused as invalid by an
// honest node, a stable checkpoint (PBFT) only at a height an honest node
// executed and with the application hash honest nodes computed there, and
// once the network has healed, that every honest node keeps deciding.
//
// A run is a pure function of its Options: one seeded PCG generator drives
// every random choice and nothing reads the wall clock, so a failing seed
// replays bit for bit (see Result.ReplayCommand).
//
// Any core plugs in through a Protocol, including deliberately broken ones
// in other packages' tests:
//
//	res, err := sim.Run(sim.Options{Protocol: p, Scenario: "twins", Seed: 7, Byzantine: 2})
//	for _, v := range res.Violations { ... }
//
// Options.Links replaces the default network's delays with a latency
// model of regions (and optionally a block size and a per-node uplink
// rate) and counts what each run costs: bytes sent and when each height
// was executed (Result.Scale, Summarise). The command bftscale and `make
// sim-scale` run it at up to MaxScaleValidators validators.
//
// Sweep runs many seeds on every CPU and reports them in seed order; the
// command bftsim and `make sim` are built on it.
package sim
