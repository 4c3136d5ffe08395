package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's log writes and the
// test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServer runs the real program through run and waits for /healthz.
func startServer(t *testing.T, env map[string]string) (baseURL string, logs *syncBuffer, stop func() error) {
	t.Helper()
	addr := freeAddr(t)
	env["HTTP_ADDR"] = addr
	ctx, cancel := context.WithCancel(context.Background())
	logs = &syncBuffer{}
	errc := make(chan error, 1)
	go func() { errc <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, logs, logs) }()

	baseURL = "http://" + addr
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(baseURL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-errc:
			cancel()
			t.Fatalf("server exited before it was healthy: %v\nlogs:\n%s", err, logs)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server not healthy within 10s\nlogs:\n%s", logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var once sync.Once
	var stopErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-errc:
			case <-time.After(20 * time.Second):
				stopErr = fmt.Errorf("run did not return within 20s of cancellation")
			}
		})
		return stopErr
	}
	t.Cleanup(func() { _ = stop() })
	return baseURL, logs, stop
}

func TestServeEmbeddedDefaults(t *testing.T) {
	dataDir := t.TempDir()
	base, logs, stop := startServer(t, map[string]string{"DATA_DIR": dataDir})

	for _, tc := range []struct {
		path string
		want string
	}{
		{"/healthz", `"status":"ok"`},
		{"/readyz", `"eventstore":"ok"`},
		{"/metrics", "go_goroutines"},
	} {
		resp, err := http.Get(base + tc.path)
		if err != nil {
			t.Fatalf("GET %s: %v", tc.path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s: %d %s, want 200 containing %q", tc.path, resp.StatusCode, body, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dataDir, "events.db")); err != nil {
		t.Errorf("embedded event store file not created: %v", err)
	}

	if err := stop(); err != nil {
		t.Fatalf("graceful shutdown: %v", err)
	}
	for _, want := range []string{`"msg":"event store: embedded"`, `"msg":"http server listening"`, `"msg":"stopped"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("JSON logs lack %s:\n%s", want, logs)
		}
	}
}

func TestServeRefusesForeignDataFile(t *testing.T) {
	dataDir := t.TempDir()
	path := filepath.Join(dataDir, "events.db")
	foreign := []byte("this is not an event store, it is somebody's notes\n")
	if err := os.WriteFile(path, foreign, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATA_DIR": dataDir, "HTTP_ADDR": freeAddr(t)}
	err := run(context.Background(), []string{"serve"}, func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("run with a foreign data file: err = %v, want an error naming %s", err, path)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(after, foreign) {
		t.Fatal("the foreign file was modified")
	}
}

func TestRunUsage(t *testing.T) {
	tests := []struct {
		args    []string
		env     map[string]string
		wantErr string
	}{
		{args: []string{"frobnicate"}, wantErr: `unknown command "frobnicate"`},
		{args: []string{"serve", "extra"}, wantErr: "serve takes no arguments"},
		{args: []string{"serve"}, env: map[string]string{"LOG_LEVEL": "loud"}, wantErr: "LOG_LEVEL"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			err := run(context.Background(), tc.args, func(k string) string { return tc.env[k] }, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"help"}, func(string) string { return "" }, &out, io.Discard); err != nil || !strings.Contains(out.String(), "serve") {
		t.Fatalf("help: %v %q", err, out.String())
	}
}

// TestServeSparesAProcessor: while it runs, serve gives the scheduler one
// processor more than the password checks take (one per processor),
// unless the operator set GOMAXPROCS, and puts it back when it stops.
func TestServeSparesAProcessor(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	for _, tc := range []struct {
		gomaxprocs string
		want       int
	}{{"", before + 1}, {"3", before}} {
		env := map[string]string{"DATA_DIR": t.TempDir()}
		if tc.gomaxprocs != "" {
			env["GOMAXPROCS"] = tc.gomaxprocs
		}
		_, _, stop := startServer(t, env)
		serving := runtime.GOMAXPROCS(0)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if serving != tc.want || runtime.GOMAXPROCS(0) != before {
			t.Fatalf("GOMAXPROCS=%q: %d while serving (want %d), %d after (want %d)", tc.gomaxprocs, serving, tc.want, runtime.GOMAXPROCS(0), before)
		}
	}
}
