package poll

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the polling triggers' collectors. A nil *Metrics records
// nothing.
type Metrics struct {
	polls   *prometheus.CounterVec
	items   *prometheus.CounterVec
	success *prometheus.GaugeVec
}

// NewMetrics creates the collectors on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "weft_poll_runs_total",
			Help: "Polls run by this process, by workflow and result (ok, error, paused).",
		}, []string{"workflow", "result"}),
		items: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "weft_poll_items_total",
			Help: "Items polling triggers returned, by workflow and outcome (started, duplicate).",
		}, []string{"workflow", "outcome"}),
		success: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "weft_poll_last_success_timestamp_seconds",
			Help: "Unix time of a polling trigger's last successful poll in this process.",
		}, []string{"workflow", "index"}),
	}
	for _, c := range []prometheus.Collector{m.polls, m.items, m.success} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) poll(workflow, result string) {
	if m != nil {
		m.polls.WithLabelValues(workflow, result).Inc()
	}
}

func (m *Metrics) item(workflow, outcome string, n int) {
	if m != nil && n > 0 {
		m.items.WithLabelValues(workflow, outcome).Add(float64(n))
	}
}

func (m *Metrics) succeeded(workflow, index string, unix float64) {
	if m != nil {
		m.success.WithLabelValues(workflow, index).Set(unix)
	}
}
