package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/clarynext/usermgmt/infra/config"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
	"github.com/clarynext/usermgmt/infra/eventstore/esdb"
)

// openEventStore connects to EventStoreDB when ESDB_URL is set, else opens
// the embedded store under DATA_DIR.
func openEventStore(ctx context.Context, cfg config.Config, logger *slog.Logger) (eventstore.Store, error) {
	if cfg.ESDBURL != "" {
		s, err := esdb.New(ctx, cfg.ESDBURL, esdb.Options{Logger: logger})
		if err != nil {
			return nil, fmt.Errorf("connect to EventStoreDB: %w", err)
		}
		logger.Info("event store: EventStoreDB")
		return s, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	path := filepath.Join(cfg.DataDir, "events.db")
	s, err := embedded.Open(path, embedded.Options{Logger: logger})
	if err != nil {
		return nil, err
	}
	logger.Info("event store: embedded", slog.String("path", path))
	return s, nil
}
