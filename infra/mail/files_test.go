package mail_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"mime"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/clarynext/usermgmt/infra/mail"
)

func newFiles(t *testing.T) (*mail.Files, string, *bytes.Buffer) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mail")
	var logs bytes.Buffer
	f, err := mail.NewFiles(dir, from, slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("NewFiles: %v", err)
	}
	return f, dir, &logs
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read dir: %v", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestFilesSend(t *testing.T) {
	f, dir, logs := newFiles(t)
	m := testMessage("evt-1", "ann@example.org")
	if err := f.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	path := filepath.Join(dir, "evt-1.eml")
	if f.Path(m) != path {
		t.Errorf("Path = %q, want %q", f.Path(m), path)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read .eml: %v", err)
	}
	p := parseMail(t, raw)
	if h := p.Header.Get("Message-Id"); h != "<evt-1@example.com>" {
		t.Errorf("Message-ID %q", h)
	}
	if h := p.Header.Get("Subject"); h != m.Subject {
		t.Errorf("Subject %q", h)
	}
	if h := p.Header.Get("To"); !strings.Contains(h, "ann@example.org") {
		t.Errorf("To %q", h)
	}
	if _, err := p.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if !strings.Contains(p.Parts["text/plain"], link) || !strings.Contains(p.Parts["text/html"], "accept") {
		t.Errorf("parts %q", p.Parts)
	}

	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("want one JSON log line, got %q: %v", logs, err)
	}
	if line["file"] != path || strings.Contains(logs.String(), "ann@example.org") {
		t.Errorf("log line %q does not name the file, or names the recipient", logs)
	}
	if strings.Contains(logs.String(), "token=abc123") || strings.Contains(logs.String(), "Hello") {
		t.Errorf("log line shows the body: %q", logs)
	}
}

func TestFilesSendIsIdempotent(t *testing.T) {
	f, dir, logs := newFiles(t)
	m := testMessage("evt-1", "ann@example.org")
	if err := f.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	first, err := os.ReadFile(f.Path(m))
	if err != nil {
		t.Fatal(err)
	}
	m.Subject = "changed"
	if err := f.Send(context.Background(), m); err != nil {
		t.Fatalf("second Send: %v", err)
	}
	second, err := os.ReadFile(f.Path(m))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, second) {
		t.Error("a resend rewrote the file")
	}
	if names := dirNames(t, dir); len(names) != 1 {
		t.Errorf("files %q, want one", names)
	}
	if n := strings.Count(logs.String(), "\n"); n != 1 {
		t.Errorf("%d log lines, want 1: %s", n, logs)
	}
}

func TestFilesSendConcurrentSameID(t *testing.T) {
	f, dir, _ := newFiles(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- f.Send(context.Background(), testMessage("evt-9", "ann@example.org")) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Send: %v", err)
		}
	}
	if names := dirNames(t, dir); len(names) != 1 || names[0] != "evt-9.eml" {
		t.Errorf("files %q, want [evt-9.eml] and no temporary file", names)
	}
}

func TestFilesSanitizesNames(t *testing.T) {
	f, dir, _ := newFiles(t)
	ids := []string{"../../etc/passwd", "a/b", "a_b", ".hidden", "a..b", "trailing.", "ünï", "ok-1.2"}
	seen := map[string]string{}
	for _, id := range ids {
		m := testMessage(id, "ann@example.org")
		if err := f.Send(context.Background(), m); err != nil {
			t.Fatalf("Send(%q): %v", id, err)
		}
		path := f.Path(m)
		if filepath.Dir(path) != dir {
			t.Errorf("ID %q written outside the directory: %s", id, path)
		}
		name := filepath.Base(path)
		if strings.HasPrefix(name, ".") || strings.ContainsAny(name, "/\\") {
			t.Errorf("ID %q: unsafe file name %q", id, name)
		}
		if other, ok := seen[name]; ok {
			t.Errorf("IDs %q and %q share file %q", id, other, name)
		}
		seen[name] = id
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		p := parseMail(t, raw)
		got, err := new(mime.WordDecoder).DecodeHeader(p.Header.Get(mail.HeaderMessageID))
		if err != nil || got != id {
			t.Errorf("%s = %q, want %q", mail.HeaderMessageID, got, id)
		}
		if _, err := p.Header.AddressList("To"); err != nil {
			t.Errorf("To: %v", err)
		}
	}
	if n := len(dirNames(t, dir)); n != len(ids) {
		t.Errorf("%d files for %d IDs", n, len(ids))
	}
	if seen["ok-1.2.eml"] != "ok-1.2" {
		t.Errorf("a safe ID was renamed: %q", seen)
	}
}

func TestSendRejectsInvalidMessages(t *testing.T) {
	f, dir, _ := newFiles(t)
	tests := []struct {
		name   string
		change func(*mail.Message)
		want   string
	}{
		{"no ID", func(m *mail.Message) { m.ID = "" }, "ID is required"},
		{"control in ID", func(m *mail.Message) { m.ID = "a\r\nBcc: x@evil.test" }, "ID holds control characters"},
		{"no recipient", func(m *mail.Message) { m.To = nil }, "no recipient"},
		{"bad recipient", func(m *mail.Message) { m.To = []string{"not an address"} }, `recipient "not an address"`},
		{"subject injection", func(m *mail.Message) { m.Subject = "hi\r\nBcc: x@evil.test" }, "subject holds control characters"},
		{"no body", func(m *mail.Message) { m.Text, m.HTML = "", "" }, "no body"},
		{"reserved header", func(m *mail.Message) { m.Headers = map[string]string{"message-id": "<x@y>"} }, "header message-id is set by the sender"},
		{"bad header name", func(m *mail.Message) { m.Headers = map[string]string{"X Bad": "1"} }, `header name "X Bad"`},
		{"header injection", func(m *mail.Message) { m.Headers = map[string]string{"X-A": "1\r\nBcc: x@evil.test"} }, "header X-A holds control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage("evt-1", "ann@example.org")
			tt.change(&m)
			err := f.Send(context.Background(), m)
			if !errors.Is(err, mail.ErrInvalidMessage) {
				t.Fatalf("Send: %v, want ErrInvalidMessage", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("invalid messages left files %q", names)
	}
}

func TestFilesSendSingleAlternative(t *testing.T) {
	f, _, _ := newFiles(t)
	m := testMessage("evt-5", "ann@example.org")
	m.HTML = ""
	if err := f.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	raw, err := os.ReadFile(f.Path(m))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("Content-Type: text/plain")) || bytes.Contains(raw, []byte("multipart")) {
		t.Errorf("text-only mail is not a single text/plain part:\n%s", raw)
	}
}

func TestNewFilesErrors(t *testing.T) {
	if _, err := mail.NewFiles("", from, nil); err == nil {
		t.Error("NewFiles with no directory succeeded")
	}
	if _, err := mail.NewFiles(t.TempDir(), "nobody", nil); err == nil {
		t.Error("NewFiles with a bad from succeeded")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := mail.NewFiles(filepath.Join(file, "sub"), from, nil); err == nil {
		t.Error("NewFiles under a regular file succeeded")
	}
}
