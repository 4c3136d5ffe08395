package outbox

import "github.com/prometheus/client_golang/prometheus"

// Outcomes of a dispatcher's handling of one mail (the outcome label).
const (
	OutcomeSent      = "sent"
	OutcomeSkipped   = "skipped"
	OutcomeFailed    = "failed"
	OutcomeRetried   = "retried"
	OutcomeDuplicate = "duplicate"
)

// Metrics count what the dispatchers did, by mail kind and outcome.
type Metrics struct {
	mails *prometheus.CounterVec
}

// NewMetrics registers the outbox metrics on reg (nil: not exported).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{mails: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "usermgmt_mail_outbox_total",
		Help: "Mails handled by the outbox, by kind and outcome (sent, skipped, failed, retried, duplicate).",
	}, []string{"kind", "outcome"})}
	if reg != nil {
		reg.MustRegister(m.mails)
	}
	return m
}

func (m *Metrics) count(kind, outcome string) { m.mails.WithLabelValues(kind, outcome).Inc() }
