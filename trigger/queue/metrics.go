package queue

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the queue triggers' collectors. A nil *Metrics records
// nothing.
type Metrics struct {
	messages   *prometheus.CounterVec
	connected  *prometheus.GaugeVec
	lag        *prometheus.GaugeVec
	reconnects *prometheus.CounterVec
}

// NewMetrics creates the collectors on reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "weft_queue_messages_total",
			Help: "Queue messages handled, by workflow, broker and outcome (started, duplicate, requeued, dead_lettered, dropped).",
		}, []string{"workflow", "broker", "outcome"}),
		connected: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "weft_queue_connected", Help: "1 while a queue trigger's consumer is connected in this process, else 0.",
		}, []string{"workflow", "broker"}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "weft_queue_lag_messages", Help: "Messages waiting at the broker for a queue trigger, where the broker reports it.",
		}, []string{"workflow", "broker"}),
		reconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "weft_queue_reconnects_total", Help: "Times a queue trigger's consumer lost its connection.",
		}, []string{"workflow", "broker"}),
	}
	for _, c := range []prometheus.Collector{m.messages, m.connected, m.lag, m.reconnects} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) message(workflow, broker, outcome string) {
	if m != nil {
		m.messages.WithLabelValues(workflow, broker, outcome).Inc()
	}
}

func (m *Metrics) setConnected(workflow, broker string, up bool) {
	if m == nil {
		return
	}
	v := 0.0
	if up {
		v = 1
	}
	m.connected.WithLabelValues(workflow, broker).Set(v)
}

func (m *Metrics) setLag(workflow, broker string, n int64) {
	if m != nil && n >= 0 {
		m.lag.WithLabelValues(workflow, broker).Set(float64(n))
	}
}

func (m *Metrics) reconnect(workflow, broker string) {
	if m != nil {
		m.reconnects.WithLabelValues(workflow, broker).Inc()
	}
}

func (m *Metrics) forget(workflow, broker string) {
	if m == nil {
		return
	}
	m.connected.DeleteLabelValues(workflow, broker)
	m.lag.DeleteLabelValues(workflow, broker)
}
