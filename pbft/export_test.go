package pbft

// EnableBug switches on a deliberately unsafe variant of the protocol, so
// that tests and the simulator can prove their checkers catch it.
// "ignore-p-set": NEW-VIEW computation and verification treat every P set
// as empty.
func EnableBug(c *Core, name string) {
	switch name {
	case "ignore-p-set":
		c.bug.ignorePSet = true
	default:
		panic("unknown bug " + name)
	}
}
