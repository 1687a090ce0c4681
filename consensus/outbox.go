package consensus

// Outbox collects the actions of one Step in the order a core emits them.
// Both cores build their answers with it: a rule emits what it causes where
// it decides so, and Step hands the whole list to the driver, or nothing if
// the step failed (a rejected input changes nothing, actions included).
type Outbox struct{ acts []Action }

// Emit appends a to the step's actions.
func (o *Outbox) Emit(a Action) { o.acts = append(o.acts, a) }

// Take returns the actions emitted since the last Take and empties the box.
func (o *Outbox) Take() []Action {
	acts := o.acts
	o.acts = nil
	return acts
}
