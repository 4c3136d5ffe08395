package mail

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// Files writes each message as an RFC 5322 .eml file under a directory: the
// embedded mode's stand-in for SMTP, readable with any mail client. It is safe
// for concurrent use.
type Files struct {
	dir      string
	composer composer
	log      *slog.Logger
}

// NewFiles returns a sender that writes under dir (created if missing) with
// from as the From address. log receives one line per written file (nil
// discards).
func NewFiles(dir, from string, log *slog.Logger) (*Files, error) {
	if dir == "" {
		return nil, errors.New("mail: files: directory is required")
	}
	comp, err := newComposer(from)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("mail: files: create %s: %w", dir, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Files{dir: dir, composer: comp, log: log}, nil
}

// Path returns the file that m is (or will be) written to:
// <dir>/<sanitized ID>.eml.
func (f *Files) Path(m Message) string {
	return filepath.Join(f.dir, token(m.ID)+".eml")
}

// Send writes m to Path(m) atomically (a temporary file in the same
// directory, synced, then renamed). If the file exists, m was delivered
// before and Send does nothing: a resend never makes a second file. The log
// line names the recipients and the file, never the body.
func (f *Files) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mail: files: %w", err)
	}
	msg, err := f.composer.compose(m, time.Now())
	if err != nil {
		return err
	}
	path := f.Path(m)
	if _, err := os.Lstat(path); err == nil {
		f.log.DebugContext(ctx, "mail already written", "message_id", m.ID, "file", path)
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("mail: files: %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(f.dir, ".tmp-*.eml")
	if err != nil {
		return fmt.Errorf("mail: files: temporary file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := msg.WriteTo(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("mail: files: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("mail: files: sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("mail: files: close %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("mail: files: rename to %s: %w", path, err)
	}
	if err := syncDir(f.dir); err != nil {
		return err
	}
	// The recipient stays out of the log (it is personal data); the file
	// has it.
	f.log.InfoContext(ctx, "mail written", "message_id", m.ID, "file", path)
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("mail: files: open %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("mail: files: sync %s: %w", dir, err)
	}
	return nil
}
