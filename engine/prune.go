package engine

// pruneBelow deletes the blocks, commits, FinalizeBlock responses and
// past validator sets and consensus params below retain, the
// retain_height the application's Commit returned, as CometBFT does: 0
// keeps everything, a height at or below the lowest stored changes
// nothing, and a height above the latest executed block is refused with a
// log line (the application asked for the impossible; nothing is lost by
// keeping the blocks). Pruning failures are logged, not fatal: the
// blocks are still there and the next Commit tries again.
func (e *Engine) pruneBelow(retain int64) {
	if retain <= 0 || retain <= e.p.Blocks.Base() {
		return
	}
	if last := e.state.LastBlockHeight; retain > last {
		e.log.Error("application asked to retain heights from above the latest block; not pruning",
			"retain_height", retain, "latest", last)
		return
	}
	blocks, err := e.p.Blocks.PruneBlocks(retain)
	if err != nil {
		e.log.Error("pruning blocks", "retain_height", retain, "err", err)
		return
	}
	entries, err := e.p.States.PruneStates(retain)
	if err != nil {
		e.log.Error("pruning the state store", "retain_height", retain, "err", err)
		return
	}
	e.log.Debug("pruned", "retain_height", retain, "blocks", blocks, "state_entries", entries)
}
