package embedded

import (
	"errors"
	"log/slog"
	"time"
)

// DefaultOpenTimeout is how long Open waits for the file lock when
// Options.OpenTimeout is zero.
const DefaultOpenTimeout = time.Second

// Options configure Open. The zero value is ready to use.
type Options struct {
	// Logger receives open, close and failed-batch messages. Nil discards
	// them.
	Logger *slog.Logger
	// OpenTimeout bounds the wait for the exclusive file lock, which another
	// process holding the file keeps. Zero means DefaultOpenTimeout.
	OpenTimeout time.Duration
}

func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.OpenTimeout == 0 {
		o.OpenTimeout = DefaultOpenTimeout
	}
}

// Validate reports options that cannot work.
func (o Options) Validate() error {
	var errs []error
	if o.OpenTimeout < 0 {
		errs = append(errs, errors.New("OpenTimeout must not be negative"))
	}
	return errors.Join(errs...)
}
