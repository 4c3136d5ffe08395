package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	netmail "net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// mailbox is a real SMTP server, in process, that keeps what it receives.
type mailbox struct {
	mu   sync.Mutex
	mail []received
}

type received struct {
	to     []string
	header netmail.Header
	text   string
}

func (b *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{b: b}, nil }

type smtpSession struct {
	b  *mailbox
	to []string
}

func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}
func (s *smtpSession) Reset()        { s.to = nil }
func (s *smtpSession) Logout() error { return nil }
func (s *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := parseMail(raw)
	if err != nil {
		return err
	}
	msg.to = s.to
	s.b.mu.Lock()
	s.b.mail = append(s.b.mail, msg)
	s.b.mu.Unlock()
	return nil
}

// parseMail reads the header and the decoded plain-text part.
func parseMail(raw []byte) (received, error) {
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return received{}, err
	}
	out := received{header: msg.Header}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return received{}, err
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := mr.NextPart() // decodes quoted-printable
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return received{}, err
		}
		body, _ := io.ReadAll(part)
		if strings.HasPrefix(part.Header.Get("Content-Type"), "text/plain") {
			out.text = string(body)
		}
	}
}

func (b *mailbox) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.mail)
}

// await waits for the n-th mail (1-based) and returns it.
func (b *mailbox) await(t *testing.T, n int) received {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b.mu.Lock()
		if len(b.mail) >= n {
			m := b.mail[n-1]
			b.mu.Unlock()
			return m
		}
		b.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("mail %d did not arrive", n)
	return received{}
}

func startMailbox(t *testing.T) (*mailbox, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &mailbox{}
	srv := smtp.NewServer(b)
	srv.Domain = "localhost"
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close(); l.Close() })
	return b, l.Addr().String()
}

var linkPattern = regexp.MustCompile(`https?://\S+\?token=([A-Za-z0-9_-]+)`)

// link finds the link with the given path in a mail and returns its token.
func link(t *testing.T, m received, path string) string {
	t.Helper()
	for _, match := range linkPattern.FindAllStringSubmatch(m.text, -1) {
		u, err := url.Parse(match[0])
		if err == nil && u.Path == path {
			return match[1]
		}
	}
	t.Fatalf("no %s link in:\n%s", path, m.text)
	return ""
}

// TestMailFlowsEndToEnd runs the real server with SMTP_URL pointing at a
// real SMTP server: the invitation, reset and verification mails arrive
// with the right recipient, subject, headers and links, the links work,
// and a restart (which rebuilds the in-process read models and so queues
// every mail again) sends nothing twice.
func TestMailFlowsEndToEnd(t *testing.T) {
	box, smtpAddr := startMailbox(t)
	env := map[string]string{
		"DATA_DIR": t.TempDir(), "SMTP_URL": "smtp://" + smtpAddr + "?tls=none",
		"PUBLIC_URL": "https://id.acme.example", "PRODUCT_NAME": "Acme ID", "MAIL_FROM": "Acme ID <id@acme.example>",
	}
	base, _, stop := startServer(t, env)
	c := adminClient(t, base, env["DATA_DIR"], nil)

	// Invitation.
	c.must(http.StatusCreated, http.MethodPost, "/v1/users", map[string]any{"email": "ivy@example.com", "first_name": "Ivy", "send_invite": true})
	m := box.await(t, 1)
	if len(m.to) != 1 || m.to[0] != "ivy@example.com" || !strings.Contains(m.header.Get("Subject"), "Acme ID") ||
		!strings.Contains(m.header.Get("From"), "id@acme.example") || m.header.Get("Message-Id") == "" {
		t.Fatalf("invitation mail: to %v, header %v", m.to, m.header)
	}
	token := link(t, m, "/accept-invitation")
	public := client{t: t, base: base}
	public.must(http.StatusNoContent, http.MethodPost, "/v1/invitations/accept", map[string]any{"token": token, "password": "ivy's own passphrase"})
	public.must(http.StatusOK, http.MethodPost, "/v1/auth/login", map[string]any{"email": "ivy@example.com", "password": "ivy's own passphrase"})

	// Forgot password.
	public.must(http.StatusAccepted, http.MethodPost, "/v1/auth/forgot-password", map[string]any{"email": "ivy@example.com"})
	public.must(http.StatusAccepted, http.MethodPost, "/v1/auth/forgot-password", map[string]any{"email": "nobody@example.com"})
	m = box.await(t, 2)
	if m.to[0] != "ivy@example.com" {
		t.Fatalf("reset mail to %v", m.to)
	}
	public.must(http.StatusNoContent, http.MethodPost, "/v1/auth/reset-password", map[string]any{"token": link(t, m, "/reset-password"), "password": "ivy's newer passphrase"})
	public.must(http.StatusOK, http.MethodPost, "/v1/auth/login", map[string]any{"email": "ivy@example.com", "password": "ivy's newer passphrase"})

	// Self-registration with verification.
	c.must(http.StatusOK, http.MethodPut, "/v1/settings/registration", map[string]any{"enabled": true, "require_verification": true, "default_roles": []string{"member"}})
	public.must(http.StatusAccepted, http.MethodPost, "/v1/registrations", map[string]any{"email": "sam@example.com", "first_name": "Sam"})
	m = box.await(t, 3)
	if m.to[0] != "sam@example.com" {
		t.Fatalf("verification mail to %v", m.to)
	}
	public.must(http.StatusUnauthorized, http.MethodPost, "/v1/auth/login", map[string]any{"email": "sam@example.com", "password": "sam's sign-up passphrase"})
	public.must(http.StatusNoContent, http.MethodPost, "/v1/registrations/verify", map[string]any{"token": link(t, m, "/verify-email"), "password": "sam's sign-up passphrase"})
	public.must(http.StatusOK, http.MethodPost, "/v1/auth/login", map[string]any{"email": "sam@example.com", "password": "sam's sign-up passphrase"})

	// A restart queues every mail again; none is sent twice.
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	base, _, _ = startServer(t, env)
	// Wait until the new server has handled all three queued mails again
	// (as duplicates), so the count below is not read too early.
	deadline := time.Now().Add(10 * time.Second)
	for outboxCount(t, base, "duplicate") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("the restarted outbox handled %v mails as duplicates, want 3", outboxCount(t, base, "duplicate"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := box.count(); n != 3 {
		t.Fatalf("after a restart %d mails were sent, want 3", n)
	}
}

// outboxCount sums the server's usermgmt_mail_outbox_total over kinds for
// one outcome.
func outboxCount(t *testing.T, base, outcome string) float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var sum float64
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "usermgmt_mail_outbox_total{") || !strings.Contains(line, `outcome="`+outcome+`"`) {
			continue
		}
		var v float64
		if _, err := fmt.Sscanf(line[strings.LastIndexByte(line, ' ')+1:], "%g", &v); err == nil {
			sum += v
		}
	}
	return sum
}

// TestMailFilesInEmbeddedMode: without SMTP_URL, mails are .eml files
// under DATA_DIR/mail.
func TestMailFilesInEmbeddedMode(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir()}
	base, logs, _ := startServer(t, env)
	c := adminClient(t, base, env["DATA_DIR"], nil)
	c.must(http.StatusCreated, http.MethodPost, "/v1/users", map[string]any{"email": "eve@example.com", "send_invite": true})
	dir := filepath.Join(env["DATA_DIR"], "mail")
	var files []string
	deadline := time.Now().Add(10 * time.Second)
	for len(files) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		files, _ = filepath.Glob(filepath.Join(dir, "*.eml"))
	}
	if len(files) != 1 {
		t.Fatalf("mail files: %v", files)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseMail(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.header.Get("To"), "eve@example.com") || link(t, m, "/accept-invitation") == "" {
		t.Fatalf("mail file: %v\n%s", m.header, m.text)
	}
	if !strings.Contains(logs.String(), files[0]) && !strings.Contains(logs.String(), filepath.Base(files[0])) {
		t.Fatalf("no log line names the mail file:\n%s", logs)
	}
}
