package sim

// SetSplitSchedules makes every other honest node of a switching chain
// switch one height later (the positive control); it returns the undo.
func SetSplitSchedules() func() {
	splitSchedules = true
	return func() { splitSchedules = false }
}
