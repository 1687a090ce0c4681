package sim

import (
	"slices"
	"time"
)

// Families are the scenario families, in the order they are reported.
var Families = []string{
	"happy", "lossy", "partition", "asymmetric", "crash",
	"equivocate", "withhold", "replay", "mutate", "invalid", "twins", "mixed",
	LockScenario, StalePOLScenario, SwitchScenario, ScheduleScenario,
	CensorScenario, SaturateScenario, ForgedSyncScenario, ValSetScenario,
	LaggardScenario,
}

// SwitchScenario places a crash and a partition around the height where a
// switching protocol hands over (see sim/switch.go); ScheduleScenario makes
// Byzantine validators run another schedule than the chain's.
const (
	SwitchScenario   = "switch"
	ScheduleScenario = "schedule"
)

// StressScenario silences the PBFT primary right after every stable
// checkpoint, forcing a view change per checkpoint interval, until
// Options.ViewChanges view changes happened.
const StressScenario = "viewchange"

// KnownScenario reports whether name is a family or StressScenario.
func KnownScenario(name string) bool {
	return name == StressScenario || slices.Contains(Families, name)
}

// plan is a run's faults, drawn from the seed.
type plan struct {
	healAt        time.Duration
	drop, dup     float64
	faultMaxDelay time.Duration
	partitions    []partitionPhase
	crashes       []crashPlan
}

type partitionPhase struct {
	start, end time.Duration
	kind       string // split, halves, isolate, ring, hub, twins
}

type crashPlan struct {
	slot        int
	at, restart time.Duration
}

// familyBehaviour is the Byzantine behaviour of a family (0: none).
func familyBehaviour(family string) behaviour {
	for b, name := range behaviourNames {
		if name == family {
			return b
		}
	}
	return 0
}

// makePlan draws the faults of a family. The nodes exist already.
func (w *world) makePlan(family string) *plan {
	p := &plan{faultMaxDelay: healedMaxDelay}
	switch family {
	case "happy", StressScenario, SaturateScenario:
	case "lossy":
		p.healAt = w.between(time.Second, 4*time.Second)
		p.drop = 0.05 + 0.25*w.rng.Float64()
		p.dup = 0.2 * w.rng.Float64()
		p.faultMaxDelay = w.between(20*time.Millisecond, 300*time.Millisecond)
	case "partition":
		p.healAt = w.between(1500*time.Millisecond, 5*time.Second)
		p.faultMaxDelay = 30 * time.Millisecond
		w.addPartitions(p, []string{"split", "halves", "isolate", "ring"}, 1+w.rng.IntN(3))
	case "asymmetric":
		p.healAt = w.between(1500*time.Millisecond, 5*time.Second)
		p.faultMaxDelay = 30 * time.Millisecond
		w.addPartitions(p, []string{"hub"}, 1+w.rng.IntN(2))
	case "crash":
		p.healAt = w.between(1500*time.Millisecond, 5*time.Second)
		p.drop = 0.02
		p.faultMaxDelay = 30 * time.Millisecond
		w.addCrashes(p, 1+w.rng.IntN(4))
	case ForgedSyncScenario:
		w.forgedSyncPlan(p)
	case ValSetScenario:
		w.valSetPlan(p)
	case LaggardScenario:
		w.laggardPlan(p)
	case LockScenario, StalePOLScenario:
		w.lockPlan(p, family)
	case SwitchScenario:
		w.switchFamilyPlan(p)
	case "twins":
		p.healAt = w.between(1500*time.Millisecond, 4*time.Second)
		p.faultMaxDelay = 30 * time.Millisecond
		w.addPartitions(p, []string{"twins"}, 1+w.rng.IntN(2))
	case "mixed":
		p.healAt = w.between(1500*time.Millisecond, 5*time.Second)
		p.drop = 0.15 * w.rng.Float64()
		p.dup = 0.1 * w.rng.Float64()
		p.faultMaxDelay = w.between(20*time.Millisecond, 200*time.Millisecond)
		w.addPartitions(p, []string{"split", "halves", "isolate", "ring", "hub", "twins"}, w.rng.IntN(3))
		w.addCrashes(p, w.rng.IntN(3))
	default: // the Byzantine families: some delay noise while it lasts
		p.healAt = w.between(500*time.Millisecond, 2*time.Second)
		p.faultMaxDelay = 50 * time.Millisecond
	}
	return p
}

// addPartitions places count partitions of the given kinds, one after the
// other with gaps, inside the fault window.
func (w *world) addPartitions(p *plan, kinds []string, count int) {
	if count == 0 {
		return
	}
	slotLen := p.healAt / time.Duration(count)
	for i := 0; i < count; i++ {
		lo := slotLen * time.Duration(i)
		start := lo + w.between(0, slotLen/3)
		end := start + w.between(slotLen/3, slotLen-(start-lo))
		p.partitions = append(p.partitions, partitionPhase{start: start, end: min(end, p.healAt), kind: kinds[w.rng.IntN(len(kinds))]})
	}
}

// addCrashes crashes honest nodes inside the fault window; all restart by
// the heal time. Sometimes every honest node goes down at once.
func (w *world) addCrashes(p *plan, count int) {
	var honest []int
	for _, n := range w.nodes {
		if n.honest {
			honest = append(honest, n.slot)
		}
	}
	if len(honest) == 0 {
		return
	}
	if count > 0 && w.chance(0.2) {
		at := w.between(0, p.healAt/2)
		restart := min(p.healAt, at+w.between(50*time.Millisecond, time.Second))
		for _, s := range honest {
			p.crashes = append(p.crashes, crashPlan{slot: s, at: at, restart: restart})
		}
		return
	}
	for i := 0; i < count; i++ {
		at := w.between(0, p.healAt-100*time.Millisecond)
		restart := min(p.healAt, at+w.between(50*time.Millisecond, 1500*time.Millisecond))
		p.crashes = append(p.crashes, crashPlan{slot: honest[w.rng.IntN(len(honest))], at: at, restart: restart})
	}
}

// schedulePlan turns the plan into events.
func (w *world) schedulePlan() {
	p := w.plan
	w.net = network{faulty: p.healAt > 0, drop: p.drop, dup: p.dup, faultMaxDelay: p.faultMaxDelay, silenced: map[int32]bool{}}
	for _, ph := range p.partitions {
		w.after(ph.start, func() {
			w.net.reach = w.partition(ph.kind)
			w.tracef("partition %s: %s", ph.kind, reachString(w.net.reach))
		})
		w.after(ph.end, func() {
			w.net.reach = nil
			w.tracef("partition %s ends", ph.kind)
		})
	}
	for _, c := range p.crashes {
		n := w.nodes[c.slot]
		w.after(c.at, n.crash)
		w.after(c.restart, func() {
			if !n.alive {
				w.tracef("n%d RESTART", n.slot)
				n.boot()
			}
		})
	}
	w.after(p.healAt, func() {
		w.heal()
		if w.laggard != nil {
			w.laggard.onHeal(w)
		}
		w.onHeal()
	})
}
