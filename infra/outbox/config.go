package outbox

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"github.com/clarynext/usermgmt/infra/mail"
	"github.com/clarynext/usermgmt/readmodels/mailqueue"
)

// DefaultPaths are the paths of the pages that open each kind of link,
// each ending where the token goes.
var DefaultPaths = map[string]string{
	mail.KindInvitation:    "/accept-invitation?token=",
	mail.KindPasswordReset: "/reset-password?token=",
	mail.KindVerification:  "/verify-email?token=",
}

// Config configures a Dispatcher. Queue, Sender, Templates, Users, Links,
// Deliveries and BaseURL are required; the rest have defaults.
type Config struct {
	Queue      *mailqueue.Queue
	Sender     mail.Sender
	Templates  *mail.Templates
	Users      Users
	Links      Links
	Deliveries Deliveries
	// BaseURL is where the service's pages are, e.g.
	// "https://users.example.com"; links are BaseURL + path + token.
	BaseURL string
	// Paths maps a mail kind to the path of its page, ending where the
	// token goes; missing kinds take DefaultPaths.
	Paths map[string]string
	// Now defaults to the clock.
	Now    func() time.Time
	Logger *slog.Logger
	// Metrics may be nil (counted, not exported).
	Metrics *Metrics
	// PollInterval is the pause after a round that found nothing to do
	// (default 200ms).
	PollInterval time.Duration
	// Lease is how long a claimed mail is hidden from other dispatchers;
	// one that is not done by then (its dispatcher died) is claimed again
	// (default 2m).
	Lease time.Duration
	// MaxAttempts is how many failed deliveries make the outbox give up
	// on a mail (default 12: with the default Backoff about 27 minutes of
	// retries, long enough to ride out a mail server's restart).
	MaxAttempts int
	// Backoff is the pause before retry number attempt (1 after the first
	// failure); default DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// Concurrency bounds the mails sent at once (default 4).
	Concurrency int
}

func (c *Config) setDefaults() {
	paths := make(map[string]string, len(DefaultPaths))
	for k, p := range DefaultPaths {
		paths[k] = p
	}
	for k, p := range c.Paths {
		paths[k] = p
	}
	c.Paths = paths
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Metrics == nil {
		c.Metrics = NewMetrics(nil)
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 200 * time.Millisecond
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 12
	}
	if c.Backoff == nil {
		c.Backoff = DefaultBackoff
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 4
	}
}

func (c Config) validate() error {
	var errs []error
	if c.Queue == nil {
		errs = append(errs, errors.New("no queue"))
	}
	if c.Sender == nil {
		errs = append(errs, errors.New("no sender"))
	}
	if c.Templates == nil {
		errs = append(errs, errors.New("no templates"))
	}
	if c.Users == nil {
		errs = append(errs, errors.New("no users"))
	}
	if c.Links == nil {
		errs = append(errs, errors.New("no link minter"))
	}
	if c.Deliveries == nil {
		errs = append(errs, errors.New("no delivery record"))
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		errs = append(errs, fmt.Errorf("base URL %q: want http(s)://host[/path]", c.BaseURL))
	}
	for kind, p := range c.Paths {
		if !strings.HasPrefix(p, "/") {
			errs = append(errs, fmt.Errorf("path of %s mails %q: want /...", kind, p))
		}
	}
	return errors.Join(errs...)
}

// DefaultBackoff waits 1s·2^(attempt-1), at most 10 minutes, give or take
// 20% so that mails that failed together do not retry in lockstep.
func DefaultBackoff(attempt int) time.Duration {
	d := 10 * time.Minute
	if attempt < 11 {
		d = min(d, time.Second<<max(attempt-1, 0))
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
