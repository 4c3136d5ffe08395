package mail_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/clarynext/usermgmt/infra/mail"
)

const (
	from     = "ClaryNext <noreply@example.com>"
	password = "s3cr3t-pw"
	link     = "https://app.example.com/accept?token=abc123&x=1"
)

func testMessage(id string, to ...string) mail.Message {
	return mail.Message{
		ID:      id,
		To:      to,
		Subject: "You are invited",
		Text:    "Hello Ann,\nopen " + link + "\n",
		HTML:    `<p>Hello Ann, <a href="` + strings.ReplaceAll(link, "&", "&amp;") + `">accept</a></p>`,
		Headers: map[string]string{"X-Test": "yes"},
	}
}

func TestSMTPSend(t *testing.T) {
	tests := []struct {
		name string
		b    *backend
		url  func(addr string) string
		user string
	}{
		{
			name: "no auth",
			b:    &backend{},
			url:  func(addr string) string { return "smtp://" + addr + "?tls=none" },
		},
		{
			name: "auth plain",
			b:    &backend{user: "mailer", password: password},
			url:  func(addr string) string { return "smtp://mailer:" + password + "@" + addr + "?tls=none" },
			user: "mailer",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := startSMTP(t, tt.b)
			s, err := mail.NewSMTP(tt.url(addr), from)
			if err != nil {
				t.Fatalf("NewSMTP: %v", err)
			}
			if strings.Contains(s.String(), password) {
				t.Errorf("String() shows the password: %s", s)
			}
			m := testMessage("evt-1", "ann@example.org", "Bob <bob@example.org>")
			for range 2 { // a resend keeps the Message-ID
				if err := s.Send(context.Background(), m); err != nil {
					t.Fatalf("Send: %v", err)
				}
			}
			got := tt.b.envelopes()
			if len(got) != 2 {
				t.Fatalf("server got %d messages, want 2", len(got))
			}
			var ids []string
			for _, env := range got {
				if env.From != "noreply@example.com" {
					t.Errorf("MAIL FROM %q", env.From)
				}
				if !slices.Equal(env.To, []string{"ann@example.org", "bob@example.org"}) {
					t.Errorf("RCPT TO %q", env.To)
				}
				if env.User != tt.user {
					t.Errorf("authenticated as %q, want %q", env.User, tt.user)
				}
				p := parseMail(t, env.Data)
				if h := p.Header.Get("From"); !strings.Contains(h, "<noreply@example.com>") {
					t.Errorf("From %q", h)
				}
				if h := p.Header.Get("To"); !strings.Contains(h, "<ann@example.org>") || !strings.Contains(h, "<bob@example.org>") {
					t.Errorf("To %q", h)
				}
				if h := p.Header.Get("Subject"); h != m.Subject {
					t.Errorf("Subject %q, want %q", h, m.Subject)
				}
				if h := p.Header.Get(mail.HeaderMessageID); h != "evt-1" {
					t.Errorf("%s %q", mail.HeaderMessageID, h)
				}
				if h := p.Header.Get("X-Test"); h != "yes" {
					t.Errorf("X-Test %q", h)
				}
				if !strings.Contains(p.Parts["text/plain"], link) {
					t.Errorf("text part lacks the link:\n%s", p.Parts["text/plain"])
				}
				if !strings.Contains(p.Parts["text/html"], strings.ReplaceAll(link, "&", "&amp;")) {
					t.Errorf("HTML part lacks the link:\n%s", p.Parts["text/html"])
				}
				if strings.Contains(string(env.Data), password) {
					t.Error("message data holds the password")
				}
				ids = append(ids, p.Header.Get("Message-Id"))
			}
			if ids[0] != "<evt-1@example.com>" || ids[1] != ids[0] {
				t.Errorf("Message-IDs %q, want <evt-1@example.com> twice", ids)
			}
		})
	}
}

func TestSMTPErrors(t *testing.T) {
	b := &backend{user: "mailer", password: password, reject: map[string]bool{"gone@example.org": true}}
	addr := startSMTP(t, b)
	tests := []struct {
		name string
		url  string
		to   []string
		want []string
	}{
		{
			name: "recipient rejected",
			url:  "smtp://mailer:" + password + "@" + addr + "?tls=none",
			to:   []string{"ann@example.org", "gone@example.org"},
			want: []string{"gone@example.org", "550", "evt-2"},
		},
		{
			name: "wrong password",
			url:  "smtp://mailer:" + password + "x@" + addr + "?tls=none",
			to:   []string{"ann@example.org"},
			want: []string{"535", "evt-2"},
		},
		{
			name: "server without STARTTLS",
			url:  "smtp://mailer:" + password + "@" + addr + "?tls=starttls",
			to:   []string{"ann@example.org"},
			want: []string{"STARTTLS"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := mail.NewSMTP(tt.url, from)
			if err != nil {
				t.Fatalf("NewSMTP: %v", err)
			}
			err = s.Send(context.Background(), testMessage("evt-2", tt.to...))
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
	if n := len(b.envelopes()); n != 0 {
		t.Errorf("server accepted %d messages, want 0", n)
	}
}

func TestSMTPSendHonoursContext(t *testing.T) {
	addr := startSMTP(t, &backend{})
	s, err := mail.NewSMTP("smtp://u:"+password+"@"+addr+"?tls=none", from)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = s.Send(ctx, testMessage("evt-3", "ann@example.org"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestNewSMTPRejectsBadURLs(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"empty", "", "SMTP URL: empty"},
		{"scheme", "http://u:" + password + "@mail.example.com", `scheme "http", want "smtp"`},
		{"no scheme", "mail.example.com:25", `scheme`},
		{"opaque", "smtp:mail.example.com", "want smtp://host"},
		{"no host", "smtp://u:" + password + "@:25", "host is missing"},
		{"bad port", "smtp://u:" + password + "@mail.example.com:99999", `port "99999" out of range`},
		{"non-numeric port", "smtp://u:" + password + "@mail.example.com:abc", `invalid port`},
		{"tls value", "smtp://u:" + password + "@mail.example.com?tls=yes", `tls="yes", want none, starttls or tls`},
		{"tls twice", "smtp://mail.example.com?tls=none&tls=tls", `"tls" given 2 times`},
		{"unknown parameter", "smtp://u:" + password + "@mail.example.com?auth=login", `unknown parameter "auth"`},
		{"path", "smtp://u:" + password + "@mail.example.com/inbox", `unexpected path "/inbox"`},
		{"user without password", "smtp://mailer@mail.example.com", `user "mailer" has no password`},
		{"password without user", "smtp://:" + password + "@mail.example.com", "password given without a user"},
		{"bad escape in password", "smtp://u:" + password + "%zz@mail.example.com", "SMTP URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := mail.NewSMTP(tt.url, from)
			if err == nil {
				t.Fatalf("NewSMTP(%q) = %v, want an error", tt.url, s)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func TestNewSMTPAccepts(t *testing.T) {
	tests := []struct{ url, want string }{
		{"smtp://mail.example.com", "smtp://mail.example.com"},
		{"smtp://u:" + password + "@mail.example.com:2525?tls=tls", "smtp://u:xxxxx@mail.example.com:2525?tls=tls"},
		{"smtp://mail.example.com/?tls=starttls", "smtp://mail.example.com/?tls=starttls"},
	}
	for _, tt := range tests {
		s, err := mail.NewSMTP(tt.url, from)
		if err != nil {
			t.Errorf("NewSMTP(%q): %v", tt.url, err)
			continue
		}
		if s.String() != tt.want {
			t.Errorf("String() = %q, want %q", s, tt.want)
		}
	}
}

func TestNewSMTPRejectsBadFrom(t *testing.T) {
	for _, f := range []string{"", "not an address", "noreply@"} {
		if _, err := mail.NewSMTP("smtp://mail.example.com", f); err == nil {
			t.Errorf("NewSMTP with from %q succeeded", f)
		}
	}
}
