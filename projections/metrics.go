package projections

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the projectors' Prometheus instruments, labelled by projector.
type Metrics struct {
	lag      *prometheus.GaugeVec
	delay    *prometheus.HistogramVec
	position *prometheus.GaugeVec
	events   *prometheus.CounterVec
}

// NewMetrics registers the projector metrics on reg (which may be nil for
// tests that don't look at them).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "usermgmt_projection_lag_seconds",
			Help: "Age of the newest event a projector has applied while it has work; 0 when caught up.",
		}, []string{"projector"}),
		delay: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "usermgmt_projection_delay_seconds",
			Help:    "Time from an event's append to its projection being committed.",
			Buckets: []float64{.001, .002, .005, .01, .02, .05, .075, .1, .15, .2, .5, 1, 2, 5, 10, 30},
		}, []string{"projector"}),
		position: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "usermgmt_projection_position",
			Help: "Commit position of a projector's checkpoint.",
		}, []string{"projector"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usermgmt_projection_events_total",
			Help: "Events applied by a projector.",
		}, []string{"projector"}),
	}
	if reg != nil {
		reg.MustRegister(m.lag, m.delay, m.position, m.events)
	}
	return m
}

func (m *Metrics) committed(projector string, applied []time.Time, commit uint64, caughtUp bool) {
	now := time.Now()
	for _, created := range applied {
		m.delay.WithLabelValues(projector).Observe(now.Sub(created).Seconds())
	}
	m.events.WithLabelValues(projector).Add(float64(len(applied)))
	m.position.WithLabelValues(projector).Set(float64(commit))
	lag := 0.0
	if !caughtUp && len(applied) > 0 {
		lag = now.Sub(applied[len(applied)-1]).Seconds()
	}
	m.lag.WithLabelValues(projector).Set(lag)
}
