package faultproxy

import (
	"fmt"
	"strings"
	"time"
)

// Regions is a latency matrix: validators placed in regions, and the
// round-trip time between every two regions (within one region on the
// diagonal). Each direction of a link gets half the round trip as its
// one-way delay.
type Regions struct {
	Names []string
	// RTT[a][b] is the round trip between regions a and b; symmetric.
	RTT [][]time.Duration
	// JitterFraction of each one-way delay is the jitter (±).
	JitterFraction float64
	// Bandwidth of every link direction, bytes per second; 0 unlimited.
	Bandwidth int64
}

// DefaultRegions are four regions on a line, each 80 ms of round trip
// from its neighbour, as validators spread over Europe, the east and west
// of North America and East Asia roughly are: 10 ms within a region, 80 ms
// between neighbours, 150 ms two apart, 220 ms between the ends. Jitter is
// ±10% of each one-way delay and every link direction carries 100 Mbit/s.
//
//	        europe  us-east  us-west  asia
//	europe    10      80      150     220
//	us-east   80      10       80     150
//	us-west  150      80       10      80
//	asia     220     150       80      10
func DefaultRegions() Regions {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	return Regions{
		Names: []string{"europe", "us-east", "us-west", "asia"},
		RTT: [][]time.Duration{
			ms(10, 80, 150, 220),
			ms(80, 10, 80, 150),
			ms(150, 80, 10, 80),
			ms(220, 150, 80, 10),
		},
		JitterFraction: 0.1,
		Bandwidth:      100e6 / 8,
	}
}

// UniformRegions is one region whose every link has the same round trip,
// with DefaultRegions' jitter and bandwidth: for measuring latency against
// the round trip alone.
func UniformRegions(rtt time.Duration) Regions {
	d := DefaultRegions()
	return Regions{Names: []string{fmt.Sprintf("uniform-%v", rtt)}, RTT: [][]time.Duration{{rtt}},
		JitterFraction: d.JitterFraction, Bandwidth: d.Bandwidth}
}

// Validate says what is wrong with the matrix.
func (r Regions) Validate() error {
	n := len(r.Names)
	if n == 0 || len(r.RTT) != n {
		return fmt.Errorf("regions: %d names and %d rows of RTT; want the same, at least one", n, len(r.RTT))
	}
	for a := range r.RTT {
		if len(r.RTT[a]) != n {
			return fmt.Errorf("regions: RTT row %s has %d entries; want %d", r.Names[a], len(r.RTT[a]), n)
		}
		for b, rtt := range r.RTT[a] {
			if rtt < 0 || rtt != r.RTT[b][a] {
				return fmt.Errorf("regions: RTT %s-%s is %v and %s-%s %v; want equal and not negative",
					r.Names[a], r.Names[b], rtt, r.Names[b], r.Names[a], r.RTT[b][a])
			}
		}
	}
	if r.JitterFraction < 0 || r.JitterFraction > 1 {
		return fmt.Errorf("regions: JitterFraction is %g; want 0 to 1", r.JitterFraction)
	}
	if r.Bandwidth < 0 {
		return fmt.Errorf("regions: Bandwidth is %d; want 0 (unlimited) or more", r.Bandwidth)
	}
	return nil
}

// RegionOf places node i: round robin over the regions.
func (r Regions) RegionOf(i int) int { return i % len(r.Names) }

// RTTBetween is the round trip between nodes i and j.
func (r Regions) RTTBetween(i, j int) time.Duration { return r.RTT[r.RegionOf(i)][r.RegionOf(j)] }

// ShapeBetween is the shape of each direction of the link between nodes
// i and j.
func (r Regions) ShapeBetween(i, j int) Shape {
	d := r.RTTBetween(i, j) / 2
	return Shape{Delay: d, Jitter: time.Duration(float64(d) * r.JitterFraction), Bandwidth: r.Bandwidth}
}

// Table renders the matrix as a Markdown table of round trips in ms.
func (r Regions) Table() string {
	var b strings.Builder
	b.WriteString("| RTT (ms) | " + strings.Join(r.Names, " | ") + " |\n|---|" + strings.Repeat("---|", len(r.Names)) + "\n")
	for a, row := range r.RTT {
		cells := make([]string, len(row))
		for i, v := range row {
			cells[i] = fmt.Sprint(v.Milliseconds())
		}
		b.WriteString("| " + r.Names[a] + " | " + strings.Join(cells, " | ") + " |\n")
	}
	return b.String()
}

// Shape gives every link of the mesh the shape between its two nodes'
// regions, in both directions; connections opened from now on get it.
func (m *Mesh) Shape(r Regions) error {
	if err := r.Validate(); err != nil {
		return err
	}
	for l, p := range m.proxies {
		s := r.ShapeBetween(l.From, l.To)
		if err := p.SetShape(s, s); err != nil {
			return err
		}
	}
	return nil
}
