package mail

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes accepted in the tls query parameter of an SMTP URL.
const (
	// TLSNone sends in clear text (a local relay or a test server).
	TLSNone = "none"
	// TLSStartTLS upgrades the connection with STARTTLS and fails if the
	// server does not offer it. It is the default.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS, port 465).
	TLSImplicit = "tls"
)

// smtpTimeout bounds dialling and every SMTP exchange of one Send.
const smtpTimeout = 30 * time.Second

// SMTP delivers messages to an SMTP server, one connection per Send. It is
// safe for concurrent use.
type SMTP struct {
	client   *gomail.Client
	composer composer
	redacted string
}

// NewSMTP returns a sender for rawURL, of the form
//
//	smtp://[user:password@]host[:port][?tls=none|starttls|tls]
//
// tls defaults to starttls; the port defaults to 25 for none, 587 for
// starttls and 465 for tls. With a user, the sender authenticates with AUTH
// PLAIN, which go-mail refuses over an unencrypted connection to any host but
// localhost. from is the From address and gives the Message-ID domain.
// Errors never contain the password.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	cfg, err := parseSMTPURL(rawURL)
	if err != nil {
		return nil, err
	}
	comp, err := newComposer(from)
	if err != nil {
		return nil, err
	}
	opts := []gomail.Option{
		gomail.WithPort(cfg.port),
		gomail.WithTimeout(smtpTimeout),
	}
	switch cfg.tls {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	}
	if cfg.user != "" {
		opts = append(opts,
			gomail.WithSMTPAuth(gomail.SMTPAuthPlain),
			gomail.WithUsername(cfg.user),
			gomail.WithPassword(cfg.password),
		)
	}
	client, err := gomail.NewClient(cfg.host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP client for %s: %w", cfg.redacted, err)
	}
	return &SMTP{client: client, composer: comp, redacted: cfg.redacted}, nil
}

// String returns the server URL with the password masked, for logs.
func (s *SMTP) String() string { return s.redacted }

// Send delivers m in one SMTP transaction. An error names the message and
// its recipients (and, for a refused recipient, which one) but never the
// credentials; errors from an invalid m wrap ErrInvalidMessage.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := s.composer.compose(m, time.Now())
	if err != nil {
		return err
	}
	if err := s.client.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("mail: send %s to %s via %s: %w", m.ID, strings.Join(m.To, ", "), s.redacted, err)
	}
	return nil
}

// smtpConfig is a parsed SMTP URL.
type smtpConfig struct {
	host, user, password string
	port                 int
	tls                  string
	redacted             string
}

// parseSMTPURL validates rawURL. Its errors quote at most the scheme, host,
// port or a query parameter, never the user information.
func parseSMTPURL(rawURL string) (smtpConfig, error) {
	fail := func(format string, args ...any) (smtpConfig, error) {
		return smtpConfig{}, fmt.Errorf("mail: SMTP URL: "+format, args...)
	}
	if strings.TrimSpace(rawURL) == "" {
		return fail("empty")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		// *url.Error quotes the whole URL, password included: keep only
		// the cause.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fail("%v", err)
	}
	if u.Scheme != "smtp" {
		return fail("scheme %q, want \"smtp\"", u.Scheme)
	}
	if u.Opaque != "" {
		return fail("want smtp://host, not smtp:host")
	}
	host := u.Hostname()
	if host == "" {
		return fail("host is missing")
	}
	if u.Path != "" && u.Path != "/" {
		return fail("unexpected path %q", u.Path)
	}
	if u.Fragment != "" {
		return fail("unexpected fragment")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return fail("query: %v", err)
	}
	cfg := smtpConfig{host: host, tls: TLSStartTLS}
	for k, vs := range q {
		if k != "tls" {
			return fail("unknown parameter %q (only \"tls\" is allowed)", k)
		}
		if len(vs) != 1 {
			return fail("parameter \"tls\" given %d times", len(vs))
		}
	}
	if vs, ok := q["tls"]; ok {
		switch vs[0] {
		case TLSNone, TLSStartTLS, TLSImplicit:
			cfg.tls = vs[0]
		default:
			return fail("tls=%q, want none, starttls or tls", vs[0])
		}
	}
	switch p := u.Port(); {
	case p == "":
		cfg.port = map[string]int{TLSNone: 25, TLSStartTLS: 587, TLSImplicit: 465}[cfg.tls]
	default:
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return fail("port %q out of range 1-65535", p)
		}
		cfg.port = n
	}
	if u.User != nil {
		cfg.user = u.User.Username()
		pw, ok := u.User.Password()
		switch {
		case cfg.user == "":
			return fail("password given without a user")
		case !ok || pw == "":
			return fail("user %q has no password", cfg.user)
		}
		cfg.password = pw
	}
	cfg.redacted = u.Redacted()
	return cfg, nil
}
