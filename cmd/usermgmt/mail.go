package main

import (
	"fmt"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/infra/mail"
	"github.com/clarynext/usermgmt/infra/outbox"
)

// mailDispatcher builds the outbox's sender side: SMTP when SMTP_URL is
// set, else .eml files under DATA_DIR/mail (each logged), with the
// product's templates and links into PUBLIC_URL.
func mailDispatcher(a *app, reg prometheus.Registerer) (*outbox.Dispatcher, error) {
	var sender mail.Sender
	if a.cfg.SMTPURL != "" {
		smtp, err := mail.NewSMTP(a.cfg.SMTPURL, a.cfg.MailFrom)
		if err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
		sender = smtp
		a.logger.Info("mail goes out over SMTP", "smtp", smtp.String())
	} else {
		dir := filepath.Join(a.cfg.DataDir, "mail")
		files, err := mail.NewFiles(dir, a.cfg.MailFrom, a.logger)
		if err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
		sender = files
		a.logger.Info("no SMTP_URL: mails are written as .eml files", "dir", dir)
	}
	templates, err := mail.NewTemplates(a.cfg.ProductName)
	if err != nil {
		return nil, err
	}
	deliveries, err := commands.NewMailDeliveries(a.store, nil)
	if err != nil {
		return nil, err
	}
	return outbox.NewDispatcher(outbox.Config{
		Queue: a.mailQueue, Sender: sender, Templates: templates, Users: a.users, Links: a.links,
		Deliveries: deliveries, BaseURL: a.cfg.PublicURL, Logger: a.logger, Metrics: outbox.NewMetrics(reg),
	})
}
