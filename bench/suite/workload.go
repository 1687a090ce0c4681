package suite

import "time"

// Workload is one load run against every system.
type Workload struct {
	Name     string
	Senders  int
	TxSize   int
	Rate     float64 // 0: as fast as the nodes answer
	Duration time.Duration
	// SampleRSS samples the nodes' memory during this workload.
	SampleRSS bool
}

// The workload names the targets refer to.
const (
	Light      = "light"
	Saturation = "saturation"
	Large      = "saturation-1KiB"
)

// DefaultWorkloads are the workloads: 100 tx/s for 15 s; 128
// senders of 64-byte transactions for 20 s; the same with 1 KiB
// transactions. scale stretches or shrinks the durations (1 is the
// standard run).
func DefaultWorkloads(scale float64) []Workload {
	d := func(s float64) time.Duration { return time.Duration(s * scale * float64(time.Second)) }
	return []Workload{
		{Name: Light, Senders: 16, TxSize: 64, Rate: 100, Duration: d(15)},
		{Name: Saturation, Senders: 128, TxSize: 64, Duration: d(20), SampleRSS: true},
		{Name: Large, Senders: 128, TxSize: 1024, Duration: d(20)},
	}
}
