package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/clarynext/usermgmt/commands"
)

const adminUsage = `usage: usermgmt admin bootstrap --email ADDRESS [--password-file FILE]

Creates the first System Admin, once: later runs change nothing and name
the admin created before. The password comes from FILE (first line) or
from BOOTSTRAP_ADMIN_PASSWORD; it never appears on the command line.`

// defaultAdminEmail is the first System Admin of the embedded default.
const defaultAdminEmail = "admin@usermgmt.local"

// adminCmd runs `usermgmt admin ...`.
func adminCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "bootstrap" {
		return errors.New(adminUsage)
	}
	fs := flag.NewFlagSet("admin bootstrap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "email address of the first System Admin")
	pwFile := fs.String("password-file", "", "file whose first line is the password")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("admin bootstrap: --email is required\n\n" + adminUsage)
	}
	pw := getenv("BOOTSTRAP_ADMIN_PASSWORD")
	if *pwFile != "" {
		b, err := os.ReadFile(*pwFile)
		if err != nil {
			return fmt.Errorf("admin bootstrap: %w", err)
		}
		pw, _, _ = strings.Cut(strings.TrimRight(string(b), "\r\n"), "\n")
	}
	if pw == "" {
		return errors.New("admin bootstrap: give the password with --password-file or BOOTSTRAP_ADMIN_PASSWORD")
	}
	a, err := openCLIApp(ctx, getenv, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	res, err := a.users.Bootstrap(ctx, commands.System("admin-bootstrap"), *email, pw)
	if err != nil {
		return fmt.Errorf("admin bootstrap: %w", err)
	}
	if res.Created {
		_, err = fmt.Fprintf(stdout, "created the first System Admin %s (%s); log in with POST /v1/auth/login\n", *email, res.UserID)
	} else {
		_, err = fmt.Fprintf(stdout, "a System Admin was bootstrapped before (%s); nothing changed\n", res.UserID)
	}
	return err
}

// bootstrapAtStart creates the first System Admin when the service starts:
// from BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD when set; in the
// embedded default (no EventStoreDB) with a generated password written to
// DATA_DIR/initial-admin-password (mode 0600, never logged); otherwise it
// only tells the operator how to create one.
func bootstrapAtStart(ctx context.Context, a *app) error {
	md := commands.System("bootstrap-at-start")
	if a.cfg.BootstrapAdminEmail != "" {
		res, err := a.users.Bootstrap(ctx, md, a.cfg.BootstrapAdminEmail, a.cfg.BootstrapAdminPassword)
		if err != nil {
			return fmt.Errorf("bootstrap admin: %w", err)
		}
		a.logger.Info("first System Admin", "user_id", res.UserID.String(), "created_now", res.Created)
		return nil
	}
	id, done, err := a.users.Bootstrapped(ctx)
	if err != nil || done {
		if done {
			a.logger.Debug("first System Admin exists", "user_id", id.String())
		}
		return err
	}
	if a.cfg.ESDBURL != "" {
		a.logger.Warn("no System Admin yet: run `usermgmt admin bootstrap --email ...` or set BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD")
		return nil
	}
	raw := make([]byte, 18)
	if _, err := rand.Read(raw); err != nil {
		return err
	}
	pw := base64.RawURLEncoding.EncodeToString(raw)
	path := filepath.Join(a.cfg.DataDir, "initial-admin-password")
	if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	res, err := a.users.Bootstrap(ctx, md, defaultAdminEmail, pw)
	if err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	a.logger.Info("first start: created a System Admin; log in with POST /v1/auth/login as "+defaultAdminEmail+
		" using the password in the file named here, then change it", "user_id", res.UserID.String(), "password_file", path)
	return nil
}
