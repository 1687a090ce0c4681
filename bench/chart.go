package bench

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"strings"
)

// Chart geometry, in SVG user units.
const (
	chartW     = 1100
	chartH     = 440
	panelTop   = 70
	panelH     = 300
	panelW     = 450
	leftPanelX = 80
	histPanelX = 610
)

// palette gives each system its colour, in the order the results come.
var palette = []string{"#7f7f7f", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e"}

// WriteChartFile writes WriteChart's SVG to path.
func WriteChartFile(path, title string, rs []*Result) error {
	var buf bytes.Buffer
	if err := WriteChart(&buf, title, rs); err != nil {
		return err
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing the chart: %w", err)
	}
	return nil
}

// WriteChart draws the results of one workload, one colour per system:
// on the left the p50 (solid) and p99 (dashed) latency of the
// transactions sent in each slice of the run, on the right the share of
// committed transactions per latency bin. Both latency axes are
// logarithmic, so systems an order of magnitude apart stay readable.
func WriteChart(w io.Writer, title string, rs []*Result) error {
	if len(rs) == 0 {
		return fmt.Errorf("no results to chart")
	}
	lo, hi := latencyRange(rs)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="16" font-weight="bold">%s</text>`+"\n", leftPanelX, html.EscapeString(title))
	legend(&b, rs)
	timePanel(&b, rs, lo, hi)
	histPanel(&b, rs, lo, hi)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// latencyRange is the decade range [lo, hi] (log10 ms) covering every
// plotted latency.
func latencyRange(rs []*Result) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rs {
		for _, p := range r.Series {
			for _, v := range []float64{p.P50, p.P99} {
				if v > 0 {
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
			}
		}
		for i, bin := range r.Histogram {
			if bin.Count > 0 {
				lower := histLowMs
				if i > 0 {
					lower = r.Histogram[i-1].UpperMs
				}
				lo, hi = math.Min(lo, lower), math.Max(hi, bin.UpperMs)
			}
		}
	}
	if math.IsInf(lo, 1) {
		return 0, 3
	}
	l, h := math.Floor(math.Log10(math.Max(lo, 0.1))), math.Ceil(math.Log10(hi))
	if h <= l {
		h = l + 1
	}
	return l, h
}

func legend(b *strings.Builder, rs []*Result) {
	x := leftPanelX
	for i, r := range rs {
		c := palette[i%len(palette)]
		label := fmt.Sprintf("%s  (%.0f tx/s, p50 %s, p99 %s)", r.System, r.TxPerSec, formatMs(r.Latency.P50), formatMs(r.Latency.P99))
		fmt.Fprintf(b, `<rect x="%d" y="38" width="14" height="4" fill="%s"/><text x="%d" y="44">%s</text>`+"\n",
			x, c, x+18, html.EscapeString(label))
		x += 24 + 7*len(label)
	}
}

// yLog maps a latency in ms to the panel's y coordinate.
func yLog(ms, lo, hi float64) float64 {
	v := math.Log10(math.Max(ms, math.Pow(10, lo)))
	return panelTop + panelH - (v-lo)/(hi-lo)*panelH
}

// latencyLabel names a power of ten of milliseconds: 1ms ... 100ms, 1s ...
func latencyLabel(decade float64) string {
	ms := math.Pow(10, decade)
	if ms < 1000 {
		return fmt.Sprintf("%gms", ms)
	}
	return fmt.Sprintf("%gs", ms/1000)
}

func timePanel(b *strings.Builder, rs []*Result, lo, hi float64) {
	maxT := 1.0
	for _, r := range rs {
		for _, p := range r.Series {
			maxT = math.Max(maxT, p.T)
		}
	}
	maxT = math.Ceil(maxT)
	frame(b, leftPanelX, "latency over the run (p50 solid, p99 dashed), by send time", "seconds since start")
	for d := lo; d <= hi; d++ {
		y := yLog(math.Pow(10, d), lo, hi)
		gridYAt(b, leftPanelX, y, latencyLabel(d))
	}
	step := niceStep(maxT / 6)
	for t := 0.0; t <= maxT+1e-9; t += step {
		x := leftPanelX + t/maxT*panelW
		gridX(b, x, fmt.Sprintf("%g", t))
	}
	for i, r := range rs {
		c := palette[i%len(palette)]
		var p50, p99 []string
		for _, p := range r.Series {
			x := leftPanelX + p.T/maxT*panelW
			p50 = append(p50, fmt.Sprintf("%.1f,%.1f", x, yLog(p.P50, lo, hi)))
			p99 = append(p99, fmt.Sprintf("%.1f,%.1f", x, yLog(p.P99, lo, hi)))
		}
		polyline(b, p50, c, "")
		polyline(b, p99, c, `stroke-dasharray="5,3"`)
	}
}

func histPanel(b *strings.Builder, rs []*Result, lo, hi float64) {
	frame(b, histPanelX, "share of committed transactions by latency", "latency (log scale)")
	maxShare := 0.0
	for _, r := range rs {
		total := float64(r.Committed)
		for _, bin := range r.Histogram {
			if total > 0 {
				maxShare = math.Max(maxShare, float64(bin.Count)/total)
			}
		}
	}
	if maxShare == 0 {
		maxShare = 1
	}
	top := math.Ceil(maxShare*10) / 10
	xLog := func(ms float64) float64 {
		v := math.Log10(math.Max(ms, math.Pow(10, lo)))
		return histPanelX + (v-lo)/(hi-lo)*panelW
	}
	for d := lo; d <= hi; d++ {
		gridX(b, xLog(math.Pow(10, d)), latencyLabel(d))
	}
	for s := 0.0; s <= top+1e-9; s += top / 5 {
		y := panelTop + panelH - s/top*panelH
		gridYAt(b, histPanelX, y, fmt.Sprintf("%.0f%%", s*100))
	}
	for i, r := range rs {
		if r.Committed == 0 {
			continue
		}
		c := palette[i%len(palette)]
		var pts []string
		prev := histLowMs
		for _, bin := range r.Histogram {
			share := float64(bin.Count) / float64(r.Committed)
			y := panelTop + panelH - share/top*panelH
			pts = append(pts, fmt.Sprintf("%.1f,%.1f %.1f,%.1f", xLog(prev), y, xLog(bin.UpperMs), y))
			prev = bin.UpperMs
		}
		polyline(b, pts, c, "")
	}
}

func frame(b *strings.Builder, x0 float64, title, xlabel string) {
	fmt.Fprintf(b, `<text x="%.0f" y="%d" font-weight="bold">%s</text>`+"\n", x0, panelTop-10, html.EscapeString(title))
	fmt.Fprintf(b, `<rect x="%.0f" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>`+"\n", x0, panelTop, panelW, panelH)
	fmt.Fprintf(b, `<text x="%.0f" y="%d" text-anchor="middle">%s</text>`+"\n", x0+panelW/2, panelTop+panelH+38, html.EscapeString(xlabel))
}

func gridYAt(b *strings.Builder, x0, y float64, label string) {
	fmt.Fprintf(b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#ddd"/>`+"\n", x0, y, x0+panelW, y)
	fmt.Fprintf(b, `<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n", x0-6, y+4, html.EscapeString(label))
}

func gridX(b *strings.Builder, x float64, label string) {
	fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`+"\n", x, panelTop, x, panelTop+panelH)
	fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x, panelTop+panelH+18, html.EscapeString(label))
}

func polyline(b *strings.Builder, pts []string, colour, extra string) {
	if len(pts) == 0 {
		return
	}
	fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="2" %s points="%s"/>`+"\n", colour, extra, strings.Join(pts, " "))
}

// niceStep rounds a raw axis step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}
