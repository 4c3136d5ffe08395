// Command usermgmt is the ClaryNext user-management service.
//
//	usermgmt serve        run the HTTP service (the default)
//	usermgmt healthcheck  probe the local service (container health checks)
//	usermgmt help         show the commands
//
// Settings come from environment variables; see the README.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "usermgmt:", err)
		stop()
		os.Exit(1)
	}
}

const usage = `usage: usermgmt <command>

commands:
  serve        run the HTTP service (default)
  projections rebuild [name ...]
               rebuild read models from the event log, with progress
  admin bootstrap --email ADDRESS [--password-file FILE]
               create the first System Admin, once
  dev load     load-test CreateUser over HTTP against a local server
  dev seed     create a realistic data set of users
  healthcheck  exit 0 when the local service answers /healthz (for containers)
  help         show this text

Configuration is read from environment variables (HTTP_ADDR, DATA_DIR,
ESDB_URL, REDIS_URL, REDIS_PREFIX, LOG_LEVEL, SHUTDOWN_TIMEOUT,
SESSION_IDLE_TIMEOUT, SESSION_MAX_AGE, BOOTSTRAP_ADMIN_EMAIL,
BOOTSTRAP_ADMIN_PASSWORD); see README.md.
`

// run is the whole program, testable: it returns when ctx is done or the
// command finishes.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "projections":
		return projectionsCmd(ctx, args, getenv, stdout, stderr)
	case "dev":
		return devCmd(ctx, args, getenv, stdout, stderr)
	case "admin":
		return adminCmd(ctx, args, getenv, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, getenv)
	case "help", "-h", "--help":
		_, err := io.WriteString(stdout, usage)
		return err
	default:
		return fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
	}
}
