package metrics

import "github.com/prometheus/client_golang/prometheus"

// protocolCollector reports, labelled with the consensus protocol running
// at scrape time: consensus_protocol (1 for the running protocol) and
// consensus_rounds. The label changes when a chain switches protocol, so
// these are built at each scrape rather than registered once.
type protocolCollector struct {
	protocol, rounds *prometheus.Desc
	current          func() string
	round            func() int32
}

func newProtocolCollector(ns string, labels prometheus.Labels, current func() string, round func() int32) *protocolCollector {
	return &protocolCollector{
		protocol: prometheus.NewDesc(prometheus.BuildFQName(ns, "consensus", "protocol"),
			"The consensus protocol deciding the next height (1), by the protocol label.", []string{"protocol"}, labels),
		rounds: prometheus.NewDesc(prometheus.BuildFQName(ns, "consensus", "rounds"),
			"Round (Tendermint) or view (PBFT) the node is in.", []string{"protocol"}, labels),
		current: current,
		round:   round,
	}
}

func (c *protocolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.protocol
	ch <- c.rounds
}

func (c *protocolCollector) Collect(ch chan<- prometheus.Metric) {
	p := c.current()
	ch <- prometheus.MustNewConstMetric(c.protocol, prometheus.GaugeValue, 1, p)
	ch <- prometheus.MustNewConstMetric(c.rounds, prometheus.GaugeValue, float64(c.round()), p)
}
