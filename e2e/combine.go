package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Combine runs several scenarios' faults one after the other on one
// network, 3 s apart, under one workload, and checks everything once at
// the end: the short suite of make test, which cannot afford a network
// per scenario. A scenario whose faults find a violation is recorded and
// the next one still runs.
func Combine(name string, parts []Scenario) Scenario {
	c := Scenario{Name: name, Options: frequentSnapshots}
	var names []string
	for _, p := range parts {
		names = append(names, p.Name)
		c.Byzantine = append(c.Byzantine, p.Byzantine...)
	}
	c.Inject = func(ctx context.Context, e *Env) error {
		e.Note("scenarios: %s", strings.Join(names, ", "))
		for _, p := range parts {
			e.phase = p.Name
			err := p.Inject(ctx, e)
			e.phase = ""
			var v *violationError
			if errors.As(err, &v) {
				e.mu.Lock()
				e.violations = append(e.violations, p.Name+": "+v.msg)
				e.mu.Unlock()
				e.Mesh.HealAll()
			} else if err != nil {
				return fmt.Errorf("%s: %w", p.Name, err)
			}
			if err := Sleep(ctx, 3*time.Second); err != nil {
				return err
			}
		}
		e.Healed()
		return nil
	}
	c.Check = func(ctx context.Context, e *Env, r *Result) {
		for _, p := range parts {
			if p.Check != nil {
				p.Check(ctx, e, r)
			}
		}
	}
	return c
}

// shortSuite is the combined scenario make test runs for protocol: every
// scenario of the suite but the positive control, with the heavier ones
// run on one protocol only (the long suite runs all on both).
func shortSuite(protocol string) Scenario {
	var parts []Scenario
	for _, s := range Scenarios {
		if s.Control || !s.appliesTo(protocol) || !s.shortOn(protocol) {
			continue
		}
		parts = append(parts, s)
	}
	// The Byzantine validator is left stopped and banned: it goes last.
	for i, s := range parts {
		if len(s.Byzantine) > 0 && i != len(parts)-1 {
			parts = append(append(parts[:i:i], parts[i+1:]...), s)
			break
		}
	}
	return Combine("short-suite", parts)
}

// shortOn reports whether the short suite runs s for protocol.
func (s Scenario) shortOn(protocol string) bool {
	if len(s.ShortOn) == 0 {
		return true
	}
	for _, p := range s.ShortOn {
		if p == protocol {
			return true
		}
	}
	return false
}
