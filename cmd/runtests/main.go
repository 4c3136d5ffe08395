// Command runtests runs the whole test suite with what it needs.
//
//	go run ./cmd/runtests [go test flags and packages]
//
// It uses the Redis at REDIS_URL when that answers PING; otherwise it starts
// Debian's redis-server on a free loopback port (installing the package with
// apt-get when it is missing and we are root), keeping nothing on disk, and
// stops it afterwards. Then it runs `go test` (by default `-race -count=1
// ./...`) with REDIS_URL pointing at that server. Its exit code is go test's.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code, err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "runtests:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// defaultTestArgs are used when no arguments are given.
var defaultTestArgs = []string{"-race", "-count=1", "-timeout=60m", "./..."}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (int, error) {
	redisURL, stopRedis, err := ensureRedis(ctx, getenv("REDIS_URL"), stderr)
	if err != nil {
		return 1, err
	}
	defer stopRedis()

	if len(args) == 0 {
		args = defaultTestArgs
	}
	cmd := exec.CommandContext(ctx, "go", append([]string{"test"}, args...)...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.Env = append(os.Environ(), "REDIS_URL="+redisURL)
	fmt.Fprintf(stderr, "runtests: go test %s (REDIS_URL=%s)\n", strings.Join(args, " "), redisURL)
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), nil
	}
	if err != nil {
		return 1, fmt.Errorf("go test: %w", err)
	}
	return 0, nil
}

// ensureRedis returns the URL of a Redis that answers PING and a function
// that stops any server it started.
func ensureRedis(ctx context.Context, configured string, log io.Writer) (string, func(), error) {
	if configured != "" {
		err := ping(ctx, configured)
		if err == nil {
			fmt.Fprintf(log, "runtests: using the Redis at REDIS_URL\n")
			return configured, func() {}, nil
		}
		fmt.Fprintf(log, "runtests: REDIS_URL does not answer (%v); starting a private redis-server\n", err)
	}
	bin, err := redisServerBinary(ctx, log)
	if err != nil {
		return "", nil, err
	}
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "runtests-redis-")
	if err != nil {
		return "", nil, fmt.Errorf("redis dir: %w", err)
	}
	srv := exec.Command(bin,
		"--bind", "127.0.0.1", "--port", fmt.Sprint(port),
		"--save", "", "--appendonly", "no", "--dir", dir,
		"--daemonize", "no", "--logfile", filepath.Join(dir, "redis.log"))
	if err := srv.Start(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("start %s: %w", bin, err)
	}
	stop := func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = srv.Process.Kill()
			<-done
		}
		os.RemoveAll(dir)
	}
	u := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := ping(ctx, u); err == nil {
			fmt.Fprintf(log, "runtests: started redis-server on 127.0.0.1:%d\n", port)
			return u, stop, nil
		} else if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("redis-server on port %d did not answer within 10s: %w", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// redisServerBinary finds redis-server, installing Debian's package when it
// is missing.
func redisServerBinary(ctx context.Context, log io.Writer) (string, error) {
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p, nil
	}
	if os.Geteuid() != 0 {
		return "", errors.New("redis-server is not installed and we are not root: run `apt-get install redis-server` or set REDIS_URL")
	}
	fmt.Fprintln(log, "runtests: installing redis-server from Debian's packages")
	for _, args := range [][]string{{"update"}, {"install", "-y", "--no-install-recommends", "redis-server"}} {
		cmd := exec.CommandContext(ctx, "apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("apt-get %s: %w", strings.Join(args, " "), err)
		}
	}
	// The package's service may have started one on 6379; ours runs apart.
	return exec.LookPath("redis-server")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ping sends a RESP PING to a redis:// URL without any client library, so the
// runner has no dependencies of its own.
func ping(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "redis" {
		return fmt.Errorf("want a redis:// URL")
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if pw, ok := u.User.Password(); ok {
		if _, err := fmt.Fprintf(conn, "*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", len(pw), pw); err != nil {
			return err
		}
		if line, err := bufio.NewReader(conn).ReadString('\n'); err != nil || !strings.HasPrefix(line, "+OK") {
			return fmt.Errorf("AUTH refused")
		}
	}
	if _, err := io.WriteString(conn, "*1\r\n$4\r\nPING\r\n"); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected reply %q", strings.TrimSpace(line))
	}
	return nil
}
