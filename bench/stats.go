package bench

import (
	"math"
	"slices"
	"time"
)

// Histogram bins: log-spaced from histLowMs to histHighMs, the same for
// every result so that systems compare bin by bin.
const (
	histLowMs  = 1.0
	histHighMs = 100_000.0
	histBins   = 50
)

// histEdges are the upper bounds of the bins; the last bin also takes
// everything above histHighMs.
var histEdges = func() []float64 {
	edges := make([]float64, histBins)
	ratio := math.Pow(histHighMs/histLowMs, 1/float64(histBins-1))
	for i := range edges {
		edges[i] = histLowMs * math.Pow(ratio, float64(i))
	}
	return edges
}()

// seriesPoints is about how many points the latency-over-time series has.
const seriesPoints = 80

// analyse fills r's counts, rates and latency statistics from the
// ledger's records.
func analyse(r *Result, recs []txRecord, window time.Duration) {
	var lat []float64
	bySlice := map[int][]float64{}
	slice := max(250*time.Millisecond, window/seriesPoints)
	var inWindow int64
	for _, t := range recs {
		r.Sent++
		switch t.state {
		case stateAcked:
			r.Acked++
		case stateRejected:
			r.Rejected++
		case stateRPCError:
			r.RPCErrors++
		}
		if t.inBlock && t.committed <= window {
			inWindow++
		}
		switch {
		case t.state == stateAcked && t.inBlock:
			r.Committed++
			ms := float64(t.committed-t.sent) / float64(time.Millisecond)
			lat = append(lat, ms)
			k := int(t.sent / slice)
			bySlice[k] = append(bySlice[k], ms)
		case t.state == stateAcked:
			r.Lost++
		case t.inBlock:
			r.CommittedUnacked++
		}
	}
	secs := window.Seconds()
	r.TxPerSec = float64(inWindow) / secs
	r.OfferedPerSec = float64(r.Acked+r.Rejected) / secs
	r.Latency = summarise(lat)
	r.Histogram = histogram(lat)
	r.Series = series(bySlice, slice)
}

// summarise sorts lat and takes its percentiles (nearest rank).
func summarise(lat []float64) LatencySummary {
	if len(lat) == 0 {
		return LatencySummary{}
	}
	slices.Sort(lat)
	sum := 0.0
	for _, v := range lat {
		sum += v
	}
	return LatencySummary{
		P50: percentile(lat, 50), P90: percentile(lat, 90), P99: percentile(lat, 99),
		Max: lat[len(lat)-1], Mean: sum / float64(len(lat)),
	}
}

// percentile of sorted values by the nearest-rank method.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func histogram(lat []float64) []HistBin {
	bins := make([]HistBin, len(histEdges))
	for i, e := range histEdges {
		bins[i].UpperMs = e
	}
	for _, v := range lat {
		i, _ := slices.BinarySearch(histEdges, v)
		bins[min(i, len(bins)-1)].Count++
	}
	return bins
}

func series(bySlice map[int][]float64, slice time.Duration) []SeriesPoint {
	keys := make([]int, 0, len(bySlice))
	for k := range bySlice {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	pts := make([]SeriesPoint, 0, len(keys))
	for _, k := range keys {
		v := bySlice[k]
		slices.Sort(v)
		pts = append(pts, SeriesPoint{
			T:   (float64(k) + 0.5) * slice.Seconds(),
			P50: percentile(v, 50), P99: percentile(v, 99), N: len(v),
		})
	}
	return pts
}
