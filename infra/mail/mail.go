// Package mail delivers email: over SMTP in production (SMTP) and as .eml
// files in the embedded mode (Files). Both build the same RFC 5322 message
// from a Message, so what lands in a file is what would have gone over the
// wire. Templates renders the subject and the plain-text and HTML bodies of
// the mails the service sends (invitation, verification, password reset).
//
// Delivery is at least once: the caller (an outbox projector) may send the
// same Message again after a crash. Message.ID is the dedup key: it fixes the
// Message-ID header (so receivers and threads see one message) and the .eml
// file name (so the file sender writes it once).
package mail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	netmail "net/mail"
	"slices"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// HeaderMessageID is the header that carries Message.ID verbatim, so an
// operator can find the cause of a mail even where the Message-ID was
// rewritten by a relay.
const HeaderMessageID = "X-Clarynext-Message-Id"

// ErrInvalidMessage marks a Message that can never be delivered as it is
// (no ID, no recipient, a malformed address or header). Retrying it is
// pointless; callers should record it as failed.
var ErrInvalidMessage = errors.New("invalid message")

// Message is one mail to deliver.
type Message struct {
	// ID is the dedup key, e.g. the ID of the event that caused the mail.
	// Sending the same ID twice yields the same Message-ID (and, for Files,
	// the same file).
	ID string
	// To holds RFC 5322 addresses ("a@example.com" or "Ann <a@example.com>").
	To []string
	// Subject is a single line.
	Subject string
	// Text and HTML are the two alternatives of the body; at least one is
	// required, and a mail with both is multipart/alternative.
	Text, HTML string
	// Headers are extra header fields. They may not replace the fields the
	// sender sets itself (From, To, Subject, Message-ID, Date, MIME and
	// content headers, HeaderMessageID).
	Headers map[string]string
}

// Sender delivers a Message. Implementations are safe for concurrent use.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// maxIDLen bounds Message.ID; event IDs are UUIDs, far below it.
const maxIDLen = 200

// reserved are header fields that Message.Headers may not set (lower case).
var reserved = []string{
	"from", "sender", "to", "cc", "bcc", "subject", "message-id", "date",
	"mime-version", "content-type", "content-transfer-encoding",
	strings.ToLower(HeaderMessageID),
}

// composer turns Messages into go-mail messages from one sender address.
type composer struct {
	from   *netmail.Address
	domain string
}

// newComposer parses the From address; its domain becomes the right-hand side
// of every Message-ID.
func newComposer(from string) (composer, error) {
	addr, err := netmail.ParseAddress(from)
	if err != nil {
		return composer{}, fmt.Errorf("mail: from address %q: %w", from, err)
	}
	at := strings.LastIndexByte(addr.Address, '@')
	if at < 0 || at == len(addr.Address)-1 {
		return composer{}, fmt.Errorf("mail: from address %q has no domain", from)
	}
	return composer{from: addr, domain: addr.Address[at+1:]}, nil
}

// messageID is the Message-ID (without angle brackets) for m.
func (c composer) messageID(m Message) string {
	return token(m.ID) + "@" + c.domain
}

// compose validates m and builds the wire message, dated now.
func (c composer) compose(m Message, now time.Time) (*gomail.Msg, error) {
	if err := validate(m); err != nil {
		return nil, err
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(c.from)
	if err := msg.To(m.To...); err != nil {
		return nil, fmt.Errorf("mail: message %s: %w: recipients: %w", m.ID, ErrInvalidMessage, err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(c.messageID(m))
	msg.SetDateWithValue(now)
	msg.SetGenHeader(gomail.Header(HeaderMessageID), m.ID)
	keys := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		msg.SetGenHeader(gomail.Header(k), m.Headers[k])
	}
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.Text != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	default:
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// validate checks what compose cannot repair; every error wraps
// ErrInvalidMessage.
func validate(m Message) error {
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("mail: message %q: %w: %s", m.ID, ErrInvalidMessage, fmt.Sprintf(format, args...))
	}
	switch {
	case m.ID == "":
		return invalid("ID is required")
	case len(m.ID) > maxIDLen:
		return invalid("ID longer than %d bytes", maxIDLen)
	case hasControl(m.ID):
		return invalid("ID holds control characters")
	case len(m.To) == 0:
		return invalid("no recipient")
	case hasControl(m.Subject):
		return invalid("subject holds control characters")
	case m.Text == "" && m.HTML == "":
		return invalid("no body")
	}
	for _, to := range m.To {
		if _, err := netmail.ParseAddress(to); err != nil {
			return invalid("recipient %q: %v", to, err)
		}
	}
	for k, v := range m.Headers {
		if !isFieldName(k) {
			return invalid("header name %q", k)
		}
		if slices.Contains(reserved, strings.ToLower(k)) {
			return invalid("header %s is set by the sender", k)
		}
		if hasControl(v) {
			return invalid("header %s holds control characters", k)
		}
	}
	return nil
}

// hasControl reports whether s holds CR, LF or another control character
// (which would allow header injection).
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// isFieldName reports whether s is an RFC 5322 field name (printable ASCII
// without colon or space).
func isFieldName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r <= 0x20 || r >= 0x7f || r == ':' {
			return false
		}
	}
	return true
}

// token maps a Message.ID to a string that is both a valid Message-ID left
// part (dot-atom) and a safe file name. An ID made only of letters, digits,
// '-', '_' and inner single dots (UUIDs, ULIDs) is kept as it is; any other
// ID has its other characters replaced by '_' and a hash of the whole ID
// appended, so two different IDs never share a token.
func token(id string) string {
	var b strings.Builder
	changed := false
	prevDot := true // a leading dot is not allowed
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
			prevDot = false
		case r == '.' && !prevDot:
			b.WriteRune(r)
			prevDot = true
		default:
			b.WriteByte('_')
			changed = true
			prevDot = false
		}
	}
	out := b.String()
	if strings.HasSuffix(out, ".") {
		out = strings.TrimSuffix(out, ".") + "_"
		changed = true
	}
	if !changed {
		return out
	}
	sum := sha256.Sum256([]byte(id))
	return out + "-" + hex.EncodeToString(sum[:8])
}
