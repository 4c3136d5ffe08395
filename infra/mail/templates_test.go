package mail_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/infra/mail"
)

func newTemplates(t *testing.T) *mail.Templates {
	t.Helper()
	tpl, err := mail.NewTemplates("Acme Portal")
	if err != nil {
		t.Fatalf("NewTemplates: %v", err)
	}
	return tpl
}

func TestTemplatesRender(t *testing.T) {
	tpl := newTemplates(t)
	expires := time.Date(2026, 12, 3, 9, 30, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		kind, subject string
	}{
		{mail.KindInvitation, "You are invited to Acme Portal"},
		{mail.KindVerification, "Verify your email address for Acme Portal"},
		{mail.KindPasswordReset, "Reset your Acme Portal password"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			subject, text, html, err := tpl.Render(tt.kind, mail.Data{Name: "Ann", Link: link, ExpiresAt: expires})
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if subject != tt.subject {
				t.Errorf("subject %q, want %q", subject, tt.subject)
			}
			htmlLink := strings.ReplaceAll(link, "&", "&amp;")
			for _, c := range []struct{ part, body, want string }{
				{"text", text, link},
				{"text", text, "Hello Ann,"},
				{"text", text, "Acme Portal"},
				{"text", text, "3 December 2026 at 08:30 UTC"},
				{"html", html, `href="` + htmlLink + `"`},
				{"html", html, "Hello Ann,"},
				{"html", html, "Acme Portal"},
				{"html", html, "3 December 2026 at 08:30 UTC"},
			} {
				if !strings.Contains(c.body, c.want) {
					t.Errorf("%s part lacks %q:\n%s", c.part, c.want, c.body)
				}
			}
		})
	}
}

func TestTemplatesEscapeHTML(t *testing.T) {
	tpl := newTemplates(t)
	_, text, html, err := tpl.Render(mail.KindInvitation, mail.Data{Name: `<script>alert("x")</script>`, Link: "javascript:alert(1)"})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if strings.Contains(html, "<script>") || !strings.Contains(html, "&lt;script&gt;") {
		t.Errorf("name not escaped in HTML:\n%s", html)
	}
	if strings.Contains(html, `href="javascript:`) {
		t.Errorf("unsafe link kept in href:\n%s", html)
	}
	if !strings.Contains(text, `<script>alert("x")</script>`) {
		t.Errorf("plain text should carry the name as is:\n%s", text)
	}
	if strings.Contains(html, "expires") {
		t.Errorf("zero ExpiresAt still rendered an expiry:\n%s", html)
	}
}

func TestTemplatesRenderErrors(t *testing.T) {
	tpl := newTemplates(t)
	if _, _, _, err := tpl.Render("welcome", mail.Data{Link: link}); !errors.Is(err, mail.ErrUnknownKind) {
		t.Errorf("unknown kind: %v, want ErrUnknownKind", err)
	}
	if _, _, _, err := tpl.Render(mail.KindVerification, mail.Data{Name: "Ann"}); err == nil {
		t.Error("Render without a link succeeded")
	}
	for _, product := range []string{"", "  ", "Acme\nBcc: x"} {
		if _, err := mail.NewTemplates(product); err == nil {
			t.Errorf("NewTemplates(%q) succeeded", product)
		}
	}
}

// TestRenderedMailFile runs the whole path: render, write as .eml, parse.
func TestRenderedMailFile(t *testing.T) {
	tpl := newTemplates(t)
	subject, text, html, err := tpl.Render(mail.KindPasswordReset, mail.Data{Name: "Ann", Link: link})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	f, _, _ := newFiles(t)
	m := mail.Message{ID: "evt-7", To: []string{"ann@example.org"}, Subject: subject, Text: text, HTML: html}
	if err := f.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	raw, err := os.ReadFile(f.Path(m))
	if err != nil {
		t.Fatal(err)
	}
	p := parseMail(t, raw)
	if p.Header.Get("Subject") != "Reset your Acme Portal password" {
		t.Errorf("Subject %q", p.Header.Get("Subject"))
	}
	if !strings.Contains(p.Parts["text/plain"], link) || !strings.Contains(p.Parts["text/html"], strings.ReplaceAll(link, "&", "&amp;")) {
		t.Errorf("link missing from a part: %q", p.Parts)
	}
}
