package embedded_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
	"github.com/google/uuid"
)

// The crash test runs its writer in a child process (this test binary,
// re-executed) and kills it with SIGKILL at a random moment.
const (
	// crashChildEnv carries the store path to the child; its presence
	// makes TestCrashChild run.
	crashChildEnv = "EMBEDDED_CRASH_CHILD_PATH"
	// crashIterationEnv carries the iteration number to the child.
	crashIterationEnv = "EMBEDDED_CRASH_CHILD_ITERATION"
	// crashIterationsEnv overrides the number of kill-and-reopen rounds.
	crashIterationsEnv = "CRASH_ITERATIONS"
	crashWriters       = 16
)

// crashNamespace derives the deterministic event IDs of the crash test.
var crashNamespace = uuid.MustParse("6f1c2b1e-3c55-4d7e-9a43-0f3a8d1b2c4d")

// crashEventData is the payload of a crash-test event; it names the append
// the event belongs to, so the parent can check appends are all-or-nothing.
type crashEventData struct {
	Iter  int `json:"iter"`
	G     int `json:"g"`
	N     int `json:"n"`
	I     int `json:"i"`
	Count int `json:"count"`
}

// crashAck is one acknowledged append as the child reported it.
type crashAck struct {
	stream  string
	lastPos uint64
	lastRev uint64
	ids     []uuid.UUID
}

func TestCrashSafety(t *testing.T) {
	if os.Getenv(crashChildEnv) != "" {
		t.Skip("running as crash child")
	}
	iterations := 25
	if v := os.Getenv(crashIterationsEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number", crashIterationsEnv, v)
		}
		iterations = n
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, %d iterations", seed, iterations)
	rng := rand.New(rand.NewPCG(seed, seed))
	path := filepath.Join(t.TempDir(), "events.db")

	var acked []crashAck
	for iter := range iterations {
		killAfter := time.Duration(2+rng.IntN(200)) * time.Millisecond
		acks := runCrashChild(t, path, iter, killAfter)
		acked = append(acked, acks...)
		verifyAfterCrash(t, path, acked)
		if t.Failed() {
			t.Fatalf("iteration %d (killed %v after start) broke the store", iter, killAfter)
		}
	}
	t.Logf("%d acknowledged appends survived %d kills", len(acked), iterations)
}

// runCrashChild starts the child writer on path, kills it killAfter it
// reported ready and returns the appends it acknowledged.
func runCrashChild(t *testing.T, path string, iter int, killAfter time.Duration) []crashAck {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path, crashIterationEnv+"="+strconv.Itoa(iter))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	lines := make(chan []string, 1)
	go func() { lines <- readChildLines(stdout, ready) }()

	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-lines
		_ = cmd.Wait()
		t.Fatalf("iteration %d: child never became ready; stderr:\n%s", iter, stderr.String())
	}
	time.Sleep(killAfter)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("iteration %d: kill: %v", iter, err)
	}
	out := <-lines
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != -1 {
		t.Fatalf("iteration %d: child ended by itself (%v) before the kill; stderr:\n%s", iter, err, stderr.String())
	}

	var acks []crashAck
	for _, line := range out {
		if line == "ready" {
			continue
		}
		ack, err := parseAck(line)
		if err != nil {
			t.Fatalf("iteration %d: %v", iter, err)
		}
		acks = append(acks, ack)
	}
	return acks
}

// readChildLines returns the complete lines the child wrote, closing ready
// when the first one arrives. A line cut short by the kill is dropped.
func readChildLines(r io.Reader, ready chan<- struct{}) []string {
	br := bufio.NewReader(r)
	var lines []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if len(lines) == 0 {
				close(ready)
			}
			return lines
		}
		if len(lines) == 0 {
			close(ready)
		}
		lines = append(lines, strings.TrimSuffix(line, "\n"))
	}
}

// An ack line is "ack <stream> <last position> <last revision> <id>,<id>...".
func formatAck(stream string, res eventstore.AppendResult, evs []eventstore.EventData) string {
	idStrs := make([]string, len(evs))
	for i, ev := range evs {
		idStrs[i] = ev.ID.String()
	}
	return fmt.Sprintf("ack %s %d %d %s\n", stream, res.Position.Commit, res.NextRevision, strings.Join(idStrs, ","))
}

func parseAck(line string) (crashAck, error) {
	f := strings.Fields(line)
	if len(f) != 5 || f[0] != "ack" {
		return crashAck{}, fmt.Errorf("malformed child output %q", line)
	}
	lastPos, err1 := strconv.ParseUint(f[2], 10, 64)
	lastRev, err2 := strconv.ParseUint(f[3], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return crashAck{}, fmt.Errorf("malformed child output %q: %w", line, err)
	}
	ack := crashAck{stream: f[1], lastPos: lastPos, lastRev: lastRev}
	for _, s := range strings.Split(f[4], ",") {
		id, err := uuid.Parse(s)
		if err != nil {
			return crashAck{}, fmt.Errorf("malformed child output %q: %w", line, err)
		}
		ack.ids = append(ack.ids, id)
	}
	return ack, nil
}

// verifyAfterCrash reopens the store and checks it against everything the
// children ever acknowledged.
func verifyAfterCrash(t *testing.T, path string, acked []crashAck) {
	t.Helper()
	s, err := embedded.Open(path, embedded.Options{OpenTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}()
	all := readAll(t, s)

	// Global positions are exactly 1..N.
	byID := make(map[uuid.UUID]eventstore.RecordedEvent, len(all))
	for i, ev := range all {
		if ev.Position != pos(uint64(i+1)) {
			t.Fatalf("event %d of the log has position %+v, want %d (gap or disorder)", i, ev.Position, i+1)
		}
		byID[ev.ID] = ev
	}
	if last, err := s.LastPosition(context.Background()); err != nil || last != pos(uint64(len(all))) {
		t.Errorf("LastPosition = %+v, %v; want %d", last, err, len(all))
	}

	// Every acknowledged event is where the acknowledgement said.
	for _, ack := range acked {
		k := uint64(len(ack.ids))
		for j, id := range ack.ids {
			ev, ok := byID[id]
			switch {
			case !ok:
				t.Errorf("acknowledged event %s of %s lost", id, ack.stream)
			case ev.Stream != ack.stream || ev.Position != pos(ack.lastPos-k+1+uint64(j)) || ev.Revision != ack.lastRev-k+1+uint64(j):
				t.Errorf("acknowledged event %s: stream %s revision %d position %d, want %s %d %d",
					id, ev.Stream, ev.Revision, ev.Position.Commit, ack.stream, ack.lastRev-k+1+uint64(j), ack.lastPos-k+1+uint64(j))
			}
		}
	}

	// Every append is all or nothing, with consecutive positions and
	// revisions.
	type appendKey struct{ iter, g, n int }
	groups := make(map[appendKey][]eventstore.RecordedEvent)
	var order []appendKey
	for _, ev := range all {
		var d crashEventData
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			t.Fatalf("event %s: %v", ev.ID, err)
		}
		key := appendKey{d.Iter, d.G, d.N}
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], ev)
	}
	for _, key := range order {
		evs := groups[key]
		var first crashEventData
		_ = json.Unmarshal(evs[0].Data, &first)
		if len(evs) != first.Count {
			t.Errorf("append %+v stored %d of its %d events", key, len(evs), first.Count)
			continue
		}
		for j, ev := range evs {
			var d crashEventData
			_ = json.Unmarshal(ev.Data, &d)
			if d.I != j || ev.Stream != evs[0].Stream || ev.Position.Commit != evs[0].Position.Commit+uint64(j) || ev.Revision != evs[0].Revision+uint64(j) {
				t.Errorf("append %+v: event %d out of place (%+v)", key, j, ev)
			}
		}
	}

	// Stream revisions are contiguous.
	streams := make(map[string]bool)
	for _, ev := range all {
		streams[ev.Stream] = true
	}
	for stream := range streams {
		evs := mustReadStream(t, s, stream, eventstore.ReadStreamOptions{Max: 1 << 20})
		for i, ev := range evs {
			if ev.Revision != uint64(i) || (i > 0 && !evs[i-1].Position.Less(ev.Position)) {
				t.Errorf("stream %s: event %d has revision %d position %d", stream, i, ev.Revision, ev.Position.Commit)
				break
			}
		}
	}
}

// TestCrashChild is the writer process of TestCrashSafety. It appends until
// it is killed and prints a line per acknowledged append.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("only runs as the child of TestCrashSafety")
	}
	iter, err := strconv.Atoi(os.Getenv(crashIterationEnv))
	if err != nil {
		t.Fatal(err)
	}
	s, err := embedded.Open(path, embedded.Options{OpenTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var out sync.Mutex
	write := func(line string) {
		out.Lock()
		defer out.Unlock()
		if _, err := os.Stdout.WriteString(line); err != nil {
			t.Error(err)
		}
	}
	write("ready\n")

	// Stop on our own only if the parent never kills us.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for g := range crashWriters {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(iter), uint64(g)))
			for n := 0; ctx.Err() == nil; n++ {
				stream, expected := crashTarget(ctx, s, rng, iter, g, n)
				count := 1 + rng.IntN(3)
				evs := make([]eventstore.EventData, count)
				for i := range evs {
					data, _ := json.Marshal(crashEventData{Iter: iter, G: g, N: n, I: i, Count: count})
					evs[i] = eventstore.EventData{
						ID:   uuid.NewSHA1(crashNamespace, fmt.Appendf(nil, "%d/%d/%d/%d", iter, g, n, i)),
						Type: "crash.test.v1",
						Data: data,
					}
				}
				res, err := s.Append(ctx, stream, expected, evs...)
				switch {
				case err == nil:
					write(formatAck(stream, res, evs))
				case eventstore.IsWrongExpectedRevision(err), ctx.Err() != nil:
				default:
					t.Errorf("append: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	_ = s.Close()
}

// crashTarget picks the stream and expected revision of the next append: a
// stream shared by all writers at the revision just read, a fresh stream
// with NoStream, or a shared stream with Any.
func crashTarget(ctx context.Context, s eventstore.Store, rng *rand.Rand, iter, g, n int) (string, eventstore.ExpectedRevision) {
	switch rng.IntN(3) {
	case 0:
		stream := fmt.Sprintf("crash-exact-%d", rng.IntN(4))
		evs, err := s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.End, Max: 1})
		if err != nil || len(evs) == 0 {
			return stream, eventstore.NoStream()
		}
		return stream, eventstore.Exact(evs[0].Revision)
	case 1:
		return fmt.Sprintf("crash-new-%d-%d-%d", iter, g, n), eventstore.NoStream()
	default:
		return fmt.Sprintf("crash-any-%d", rng.IntN(3)), eventstore.Any()
	}
}
