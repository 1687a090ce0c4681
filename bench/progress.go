package bench

import (
	"fmt"
	"io"
	"os"
	"slices"
	"time"
)

// progress prints the live line: on a terminal it rewrites one line,
// elsewhere it prints one line a second.
type progress struct {
	r     *runner
	start time.Time
	fol   *follower
	out   io.Writer
	tty   bool
	last  counts
	lastT time.Time
}

func newProgress(r *runner, start time.Time, fol *follower) *progress {
	p := &progress{r: r, start: start, fol: fol, out: r.cfg.Progress, lastT: time.Now()}
	p.last = r.led.totals()
	if f, ok := p.out.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) print(phase string) {
	if p.out == nil {
		return
	}
	now := time.Now()
	c := p.r.led.totals()
	p.r.recentMu.Lock()
	recent := p.r.recent
	p.r.recent = nil
	p.r.recentMu.Unlock()
	slices.Sort(recent)
	rate := float64(c.inBlocks-p.last.inBlocks) / now.Sub(p.lastT).Seconds()
	p.last, p.lastT = c, now
	line := fmt.Sprintf("%s %s %s %4.0fs  sent %d  acked %d  refused %d  errors %d  committed %d  %6.0f tx/s  p50 %s  height %d",
		p.r.cfg.System, p.r.cfg.Workload, phase, now.Sub(p.start).Seconds(), c.sent, c.acked, c.refused, c.failed,
		c.inBlocks, rate, formatMs(percentile(recent, 50)), p.fol.height.Load())
	if p.tty {
		fmt.Fprintf(p.out, "\r\033[K%s", line)
	} else {
		fmt.Fprintln(p.out, line)
	}
}

// done ends the rewritten line on a terminal.
func (p *progress) done() {
	if p.out != nil && p.tty {
		fmt.Fprintln(p.out)
	}
}

// formatMs prints a latency in ms or s, whichever reads better.
func formatMs(ms float64) string {
	switch {
	case ms == 0:
		return "-"
	case ms < 10:
		return fmt.Sprintf("%.1fms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.0fms", ms)
	default:
		return fmt.Sprintf("%.2fs", ms/1000)
	}
}
