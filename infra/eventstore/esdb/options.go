package esdb

import (
	"errors"
	"log/slog"
	"time"
)

// Options tune the adapter. The zero value is ready to use.
type Options struct {
	// Logger receives the adapter's diagnostics (client replaced,
	// subscription resumed) and, at debug level, the client's own log lines.
	// Nil discards them.
	Logger *slog.Logger

	// ResubscribeBackoff is the first pause before a dropped subscription is
	// resumed; it doubles on each failed attempt up to ResubscribeMaxBackoff.
	// Defaults: 100ms and 5s.
	ResubscribeBackoff    time.Duration
	ResubscribeMaxBackoff time.Duration
}

func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ResubscribeBackoff == 0 {
		o.ResubscribeBackoff = 100 * time.Millisecond
	}
	if o.ResubscribeMaxBackoff == 0 {
		o.ResubscribeMaxBackoff = 5 * time.Second
	}
}

// Validate reports every invalid setting.
func (o Options) Validate() error {
	var errs []error
	if o.ResubscribeBackoff < 0 {
		errs = append(errs, errors.New("ResubscribeBackoff must not be negative"))
	}
	if o.ResubscribeMaxBackoff < o.ResubscribeBackoff {
		errs = append(errs, errors.New("ResubscribeMaxBackoff must not be below ResubscribeBackoff"))
	}
	return errors.Join(errs...)
}
