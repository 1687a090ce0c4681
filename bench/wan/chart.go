package wan

import (
	"fmt"
	"html"
	"math"
	"os"
	"sort"
	"strings"
)

// Chart geometry, in SVG user units.
const (
	chartW = 760
	chartH = 460
	plotX  = 80
	plotY  = 60
	plotW  = 480
	plotH  = 320
)

// colours per system, in report order.
var colours = []string{"#7f7f7f", "#1f77b4", "#2ca02c", "#d62728", "#9467bd"}

// chartSeries is one system's latency at each round trip.
type chartSeries struct {
	System   string
	RTT      []float64 // ms
	P50, P99 []float64 // ms
}

// sweepSeries groups the sweep's points by system, in systems' order,
// each sorted by round trip; failed points are left out.
func sweepSeries(systems []string, pts []SweepPoint) []chartSeries {
	var out []chartSeries
	for _, sys := range systems {
		s := chartSeries{System: sys}
		var mine []SweepPoint
		for _, p := range pts {
			if p.System == sys && p.Light != nil && p.Light.Latency.P50 > 0 {
				mine = append(mine, p)
			}
		}
		sort.Slice(mine, func(i, j int) bool { return mine[i].RTTms < mine[j].RTTms })
		for _, p := range mine {
			s.RTT = append(s.RTT, p.RTTms)
			s.P50 = append(s.P50, p.Light.Latency.P50)
			s.P99 = append(s.P99, p.Light.Latency.P99)
		}
		out = append(out, s)
	}
	return out
}

// latencyChart draws p50 (solid) and p99 (dashed) send-to-commit latency
// against the links' round trip, one colour per system.
func latencyChart(title string, series []chartSeries) string {
	maxX, maxY := 1.0, 1.0
	for _, s := range series {
		for i := range s.RTT {
			maxX = math.Max(maxX, s.RTT[i])
			maxY = math.Max(maxY, s.P99[i])
		}
	}
	stepX, stepY := niceStep(maxX/5), niceStep(maxY/6)
	maxX, maxY = stepX*math.Ceil(maxX/stepX), stepY*math.Ceil(maxY/stepY)
	px := func(v float64) float64 { return plotX + v/maxX*plotW }
	py := func(v float64) float64 { return plotY + plotH - v/maxY*plotH }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="28" font-size="16" font-weight="bold">%s</text>`+"\n", plotX, html.EscapeString(title))
	for x := 0.0; x <= maxX+stepX/2; x += stepX {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`+"\n", px(x), plotY, px(x), plotY+plotH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%g</text>`+"\n", px(x), plotY+plotH+18, x)
	}
	for y := 0.0; y <= maxY+stepY/2; y += stepY {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", plotX, py(y), plotX+plotW, py(y))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%g</text>`+"\n", plotX-6, py(y)+4, y)
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333"/>`+"\n", plotX, plotY, plotW, plotH)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">round trip between every two validators (ms)</text>`+"\n", plotX+plotW/2, plotY+plotH+40)
	fmt.Fprintf(&b, `<text x="20" y="%d" text-anchor="middle" transform="rotate(-90 20 %d)">send-to-commit latency (ms)</text>`+"\n", plotY+plotH/2, plotY+plotH/2)
	for k, s := range series {
		c := colours[k%len(colours)]
		line := func(vals []float64, dash string) {
			var pts []string
			for i := range s.RTT {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.RTT[i]), py(vals[i])))
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", px(s.RTT[i]), py(vals[i]), c)
			}
			if len(pts) > 1 {
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" %s points="%s"/>`+"\n", c, dash, strings.Join(pts, " "))
			}
		}
		line(s.P50, "")
		line(s.P99, `stroke-dasharray="6,4"`)
		ly := plotY + 10 + 20*k
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"/>`+"\n", plotX+plotW+20, ly, plotX+plotW+44, ly, c)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", plotX+plotW+50, ly+4, html.EscapeString(s.System))
	}
	ly := plotY + 20 + 20*len(series)
	fmt.Fprintf(&b, `<text x="%d" y="%d">solid p50, dashed p99</text>`+"\n", plotX+plotW+20, ly)
	b.WriteString("</svg>\n")
	return b.String()
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

func writeChart(path, title string, series []chartSeries) error {
	if err := os.WriteFile(path, []byte(latencyChart(title, series)), 0o644); err != nil {
		return fmt.Errorf("writing the chart: %w", err)
	}
	return nil
}
