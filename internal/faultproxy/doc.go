// Package faultproxy is a fault-injecting TCP proxy for tests on loopback.
//
// A Proxy listens on one address and forwards every connection to a
// target. Its link can be cut at any moment: Cut closes every open
// connection and refuses new ones until Heal; Blackhole keeps connections
// open but silently drops what either side sends, as a network that stops
// delivering without resetting anything. A Mesh holds one proxy per
// directed link of a set of nodes (node i reaches node j only through the
// proxy of link i→j) and turns partitions, isolations and cycles of them
// into cuts and heals of those links.
//
// A proxy also emulates a wide-area link in user space (kernel network
// emulation is not available on every machine): SetShape gives each
// direction a one-way delay, a jitter and a bandwidth. Each direction is a
// delay queue, a reader stamping chunks with their due time and a writer
// delivering them in order, so delay and jitter never reorder a
// connection's bytes. Regions is a latency matrix of round trips between
// regions; Mesh.Shape places the nodes in its regions and shapes every
// link accordingly.
package faultproxy
