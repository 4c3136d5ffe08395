package embedded_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
	"github.com/google/uuid"
)

// benchPayload is a JSON document of about 300 bytes.
var benchPayload = []byte(`{"userId":"5f0c6a4e-8d1b-4c1e-9f3a-2b7d9e6c1a00","email":"someone.with.a.long.name@example.org",` +
	`"displayName":"Someone With A Long Name","organizationId":"c3a1f5d2-7b4e-4a8f-b6c9-0e1d2f3a4b5c",` +
	`"roles":["member","author"],"locale":"de-CH","timezone":"Europe/Zurich","status":"active","v":1}`)

func benchEvent() eventstore.EventData {
	return eventstore.EventData{ID: uuid.New(), Type: "user.registered.v1", Data: benchPayload}
}

// BenchmarkAppend measures single-event appends with Exact revisions, each
// writer on its own stream, fsync on.
func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			benchmarkAppend(b, writers)
		})
	}
}

func benchmarkAppend(b *testing.B, writers int) {
	s := openStore(b)
	ctx := context.Background()
	revs := make([]uint64, writers)
	for w := range writers {
		res := mustAppend(b, s, fmt.Sprintf("bench-%d", w), eventstore.NoStream(), benchEvent())
		revs[w] = res.NextRevision
	}
	var (
		next      atomic.Int64
		wg        sync.WaitGroup
		latencies = make([][]time.Duration, writers)
		errs      = make([]error, writers)
	)
	b.ResetTimer()
	start := time.Now()
	for w := range writers {
		wg.Go(func() {
			stream := fmt.Sprintf("bench-%d", w)
			for next.Add(1) <= int64(b.N) {
				ev := benchEvent()
				t0 := time.Now()
				res, err := s.Append(ctx, stream, eventstore.Exact(revs[w]), ev)
				latencies[w] = append(latencies[w], time.Since(t0))
				if err != nil {
					errs[w] = err
					return
				}
				revs[w] = res.NextRevision
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err := errors.Join(errs...); err != nil {
		b.Fatal(err)
	}
	all := slices.Concat(latencies...)
	slices.Sort(all)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "appends/s")
	b.ReportMetric(percentile(all, 0.50).Seconds()*1000, "p50-ms")
	b.ReportMetric(percentile(all, 0.99).Seconds()*1000, "p99-ms")
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

const (
	benchLogEvents = 200_000
	benchPage      = 1000
)

// prefilledStore returns a store holding benchLogEvents events of about 300
// bytes, spread over 2,000 streams.
func prefilledStore(b *testing.B) *embedded.Store {
	b.Helper()
	path := filepath.Join(b.TempDir(), "events.db")
	s := openStoreAt(b, path)
	const streams, perAppend = 2000, benchPage
	revs := make(map[string]uint64)
	evs := make([]eventstore.EventData, perAppend)
	for n := 0; n < benchLogEvents; n += perAppend {
		stream := fmt.Sprintf("user-%d", (n/perAppend)%streams)
		for i := range evs {
			evs[i] = benchEvent()
		}
		exp := eventstore.NoStream()
		if rev, ok := revs[stream]; ok {
			exp = eventstore.Exact(rev)
		}
		res := mustAppend(b, s, stream, exp, evs...)
		revs[stream] = res.NextRevision
	}
	return s
}

// BenchmarkReadAll measures forward ReadAll pages of 1,000 events over a
// log of 200,000 events.
func BenchmarkReadAll(b *testing.B) {
	s := prefilledStore(b)
	ctx := context.Background()
	from := eventstore.StartPosition
	events := 0
	start := time.Now()
	for b.Loop() {
		page, err := s.ReadAll(ctx, eventstore.ReadAllOptions{From: from, Max: benchPage})
		if err != nil {
			b.Fatal(err)
		}
		events += len(page)
		if len(page) < benchPage {
			from = eventstore.StartPosition
			continue
		}
		last := page[len(page)-1].Position.Commit
		from = pos(last + 1)
	}
	b.ReportMetric(float64(events)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkSubscribeCatchUp measures how fast a subscription from the start
// delivers a log of 200,000 events.
func BenchmarkSubscribeCatchUp(b *testing.B) {
	s := prefilledStore(b)
	ctx := context.Background()
	events := 0
	start := time.Now()
	for b.Loop() {
		sub, err := s.SubscribeToAll(ctx, eventstore.SubscribeOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for range benchLogEvents {
			if _, err := sub.Recv(); err != nil {
				b.Fatal(err)
			}
		}
		events += benchLogEvents
		_ = sub.Close()
	}
	b.ReportMetric(float64(events)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkFsyncBaseline is the disk's own bound, measured in the same run
// as the appends: one 4 KiB write and fdatasync per op, as a group commit
// does at the least (bbolt syncs twice per commit: data pages, then meta).
func BenchmarkFsyncBaseline(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "fsync"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	page := make([]byte, 4096)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := f.WriteAt(page, int64(i%256)*4096); err != nil {
			b.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "fsyncs/s")
}
