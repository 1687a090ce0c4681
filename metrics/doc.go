// Package metrics exposes a node's Prometheus metrics, named as CometBFT
// v0.38 names them where the concept is the same (so dashboards built for
// CometBFT work), plus bftnode's own (the PBFT view, inputs the core
// rejected, messages dropped). They are served on [instrumentation]
// prometheus_listen_addr.
package metrics
