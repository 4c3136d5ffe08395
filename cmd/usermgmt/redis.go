package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/infra/config"
)

// openRedis connects to REDIS_URL, or starts an in-process miniredis when
// it is empty (the embedded mode: read models are then rebuilt from the
// event store at every start). The returned func releases both.
func openRedis(ctx context.Context, cfg config.Config, logger *slog.Logger) (redis.UniversalClient, func(), error) {
	if cfg.RedisURL == "" {
		m := miniredis.NewMiniRedis()
		if err := m.Start(); err != nil {
			return nil, nil, fmt.Errorf("start in-process redis: %w", err)
		}
		logger.Info("no REDIS_URL: running an in-process Redis; read models are rebuilt from the event store at start",
			slog.String("addr", m.Addr()))
		rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
		return rdb, func() { _ = rdb.Close(); m.Close() }, nil
	}
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(opts)
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, nil, fmt.Errorf("redis at %s: %w", opts.Addr, err)
	}
	logger.Info("read models: redis", slog.String("addr", opts.Addr), slog.String("prefix", cfg.RedisPrefix))
	return rdb, func() { _ = rdb.Close() }, nil
}
