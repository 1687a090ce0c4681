package tendermint

import "fmt"

// EnableBug switches on a deliberately broken variant of the lock rules so
// that a simulator can prove its safety checker catches it:
//
//   - "unlock-on-nil-polka": release the lock on 2f+1 nil prevotes (line 44);
//   - "forget-lock": prevote as if unlocked (lines 22 and 28);
//   - "ignore-stale-lock": prevote as if unlocked at line 29 only;
//   - "skip-pol-check": at line 28, prevote without 2f+1 prevotes of the
//     POL round;
//   - "first-vote-only": count only a validator's first vote of a slot,
//     also for the rules about one value (safe, but not live).
func EnableBug(c *Core, name string) {
	switch name {
	case "unlock-on-nil-polka":
		c.bug.unlockOnNilPolka = true
	case "forget-lock":
		c.bug.forgetLock = true
	case "ignore-stale-lock":
		c.bug.ignoreStaleLock = true
	case "skip-pol-check":
		c.bug.skipPOLCheck = true
	case "first-vote-only":
		c.bug.firstVoteOnly = true
	default:
		panic(fmt.Sprintf("unknown bug %q; want unlock-on-nil-polka, forget-lock, ignore-stale-lock, skip-pol-check or first-vote-only", name))
	}
}
