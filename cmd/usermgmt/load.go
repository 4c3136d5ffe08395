package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// loadCmd is the project's load tool for CreateUser over HTTP:
//
//	usermgmt dev load --url http://127.0.0.1:8080 --clients 64 --duration 20s
//
// Each client creates users (invite, no password) back to back. It reports
// requests/s, latency percentiles, errors, and the projection delay (append
// to read model) that the server's /metrics histogram saw during the run.
// It only ever talks to the URL given, which must be on this machine.
func loadCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("dev load", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	url := fs.String("url", "http://127.0.0.1:8080", "base URL of a running server (loopback only)")
	clients := fs.Int("clients", 64, "concurrent clients")
	duration := fs.Duration("duration", 20*time.Second, "how long to run (bounded: at most 10m)")
	warmup := fs.Duration("warmup", 2*time.Second, "run this long before measuring")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("dev load: %w", err)
	}
	if !strings.HasPrefix(*url, "http://127.") && !strings.HasPrefix(*url, "http://localhost") && !strings.HasPrefix(*url, "http://[::1]") {
		return errors.New("dev load: --url must be a loopback address")
	}
	if *clients < 1 || *duration <= 0 || *duration > 10*time.Minute {
		return errors.New("dev load: want --clients >= 1 and 0 < --duration <= 10m")
	}
	transport := &http.Transport{MaxIdleConnsPerHost: *clients, MaxConnsPerHost: *clients}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	defer transport.CloseIdleConnections()

	run := fmt.Sprintf("%x", time.Now().UnixNano())
	var seq atomic.Int64
	create := func(ctx context.Context) (time.Duration, error) {
		n := seq.Add(1)
		body := fmt.Sprintf(`{"email":"load-%s-%d@load.example","first_name":"Load","last_name":"Test %d","roles":["member"],"send_invite":true}`, run, n, n)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, *url+"/v1/users", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return 0, fmt.Errorf("status %d", resp.StatusCode)
		}
		return time.Since(start), nil
	}

	// Warm up, then measure.
	phase := func(d time.Duration, record bool) (lat []time.Duration, errs int64, elapsed time.Duration) {
		pctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		var mu sync.Mutex
		var nerr atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range *clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var mine []time.Duration
				for pctx.Err() == nil {
					l, err := create(pctx)
					if pctx.Err() != nil {
						break
					}
					if err != nil {
						nerr.Add(1)
						continue
					}
					if record {
						mine = append(mine, l)
					}
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		return lat, nerr.Load(), time.Since(start)
	}
	phase(*warmup, false)
	before, err := scrapeDelay(ctx, client, *url)
	if err != nil {
		return err
	}
	lat, errs, elapsed := phase(*duration, true)
	after, err := scrapeDelay(ctx, client, *url)
	if err != nil {
		return err
	}
	if len(lat) == 0 {
		return fmt.Errorf("dev load: no request succeeded (%d errors)", errs)
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	delay := after.minus(before)
	fmt.Fprintf(stdout, "create_user clients=%d requests=%d errors=%d rate=%.0f/s p50=%s p90=%s p99=%s max=%s\n",
		*clients, len(lat), errs, float64(len(lat))/elapsed.Seconds(),
		pct(0.50).Round(10*time.Microsecond), pct(0.90).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))
	fmt.Fprintf(stdout, "projection_delay events=%.0f p50<=%s p99<=%s within_100ms=%.2f%%\n",
		delay.count, seconds(delay.quantile(0.50)), seconds(delay.quantile(0.99)), 100*delay.fractionWithin(0.1))
	return nil
}

func seconds(s float64) string {
	if math.IsInf(s, 1) {
		return "+Inf"
	}
	return time.Duration(s * float64(time.Second)).String()
}

// histogram is a cumulative Prometheus histogram: bucket upper bounds and
// cumulative counts.
type histogram struct {
	bounds []float64
	counts []float64
	count  float64
}

func (h histogram) minus(o histogram) histogram {
	out := histogram{bounds: h.bounds, counts: make([]float64, len(h.counts)), count: h.count - o.count}
	for i := range h.counts {
		out.counts[i] = h.counts[i]
		if i < len(o.counts) {
			out.counts[i] -= o.counts[i]
		}
	}
	return out
}

// quantile returns the upper bound of the bucket holding quantile q.
func (h histogram) quantile(q float64) float64 {
	for i, c := range h.counts {
		if c >= q*h.count {
			return h.bounds[i]
		}
	}
	return math.Inf(1)
}

func (h histogram) fractionWithin(bound float64) float64 {
	if h.count == 0 {
		return 0
	}
	for i, b := range h.bounds {
		if b == bound {
			return h.counts[i] / h.count
		}
	}
	return 0
}

// scrapeDelay reads the users projector's delay histogram from /metrics.
func scrapeDelay(ctx context.Context, client *http.Client, base string) (histogram, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	resp, err := client.Do(req)
	if err != nil {
		return histogram{}, fmt.Errorf("dev load: scrape metrics: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return histogram{}, err
	}
	var h histogram
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "usermgmt_projection_delay_seconds") || !strings.Contains(line, `projector="users"`) {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			continue
		}
		switch {
		case strings.HasPrefix(line, "usermgmt_projection_delay_seconds_bucket"):
			_, rest, _ := strings.Cut(line, `le="`)
			le, _, _ := strings.Cut(rest, `"`)
			b, err := strconv.ParseFloat(le, 64)
			if le == "+Inf" {
				b, err = math.Inf(1), nil
			}
			if err == nil {
				h.bounds = append(h.bounds, b)
				h.counts = append(h.counts, v)
			}
		case strings.HasPrefix(line, "usermgmt_projection_delay_seconds_count"):
			h.count = v
		}
	}
	return h, nil
}
