// Package protocols registers bftnode's two consensus cores with the
// simulator, with configurations suited to simulation: timeouts of tens to
// hundreds of milliseconds of virtual time, and a PBFT checkpoint interval
// of a few blocks so that checkpoints, garbage collection and view changes
// happen often in every run.
package protocols
