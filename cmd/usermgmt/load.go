package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clarynext/usermgmt/infra/crypto/password"
)

// loadCmd is the project's load tool:
//
//	usermgmt dev load --url http://127.0.0.1:8080 --email admin@usermgmt.local \
//	    --password-file data/initial-admin-password --scenario create --clients 64 --duration 20s
//
// Scenarios: "create" creates users (invite, no password) back to back and
// also reports the projection delay (append to read model) the server's
// /metrics histogram saw during the run; "get" reads one user with
// GET /v1/users/{id}; "login" logs in with the given credentials, and
// alternates rounds of the raw argon2id verification rate of this machine
// (same parameters, all cores) and of logins, so the two are compared in
// one run, round by round; with --accounts N it logs in as N new accounts
// in turn instead of one, as a login flood from many users does;
// "refusals" sends wrong-password logins for an unknown address, a known
// account and a suspended one in turn and compares their latencies (a
// refusal must not tell whether the address has an account). It reports
// requests/s, latency percentiles and errors. It only talks to the URL
// given, which must be on this machine.
func loadCmd(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) (err error) {
	fs := flag.NewFlagSet("dev load", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	url := fs.String("url", "http://127.0.0.1:8080", "base URL of a running server (loopback only)")
	scenario := fs.String("scenario", "create", "create, get, login or refusals")
	email := fs.String("email", "admin@usermgmt.local", "email of the user the load logs in as (a System Admin for create and get)")
	pwFile := fs.String("password-file", "", "file holding that user's password (else LOAD_PASSWORD)")
	clients := fs.Int("clients", 64, "concurrent clients")
	duration := fs.Duration("duration", 20*time.Second, "how long to run (bounded: at most 10m)")
	warmup := fs.Duration("warmup", 2*time.Second, "run this long before measuring")
	rounds := fs.Int("rounds", 5, "login only: alternate this many rounds of raw argon2id and logins, each --duration/rounds long")
	accounts := fs.Int("accounts", 1, "login only: log in as this many accounts in turn; above 1 the tool first creates them (as --email, a System Admin)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("dev load: %w", err)
	}
	if !strings.HasPrefix(*url, "http://127.") && !strings.HasPrefix(*url, "http://localhost") && !strings.HasPrefix(*url, "http://[::1]") {
		return errors.New("dev load: --url must be a loopback address")
	}
	if *clients < 1 || *duration <= 0 || *duration > 10*time.Minute || *rounds < 1 || *rounds > 100 || *accounts < 1 || *accounts > 1000 {
		return errors.New("dev load: want --clients >= 1, 0 < --duration <= 10m, 1 <= --rounds <= 100 and 1 <= --accounts <= 1000")
	}
	pw := getenv("LOAD_PASSWORD")
	if *pwFile != "" {
		b, err := os.ReadFile(*pwFile)
		if err != nil {
			return fmt.Errorf("dev load: %w", err)
		}
		pw = strings.TrimSpace(string(b))
	}
	if pw == "" {
		return errors.New("dev load: give the password with --password-file or LOAD_PASSWORD")
	}
	transport := &http.Transport{MaxIdleConnsPerHost: *clients, MaxConnsPerHost: *clients}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	defer transport.CloseIdleConnections()
	lc := loadClient{client: client, base: *url}

	token, err := lc.login(ctx, *email, pw)
	if err != nil {
		return fmt.Errorf("dev load: log in as %s: %w", *email, err)
	}
	var request func(ctx context.Context) (time.Duration, error)
	var refusalWarmupDone func()
	switch *scenario {
	case "create":
		run := fmt.Sprintf("%x", time.Now().UnixNano())
		var seq atomic.Int64
		request = func(ctx context.Context) (time.Duration, error) {
			n := seq.Add(1)
			body := fmt.Sprintf(`{"email":"load-%s-%d@load.example","first_name":"Load","last_name":"Test %d","roles":["member"],"send_invite":true}`, run, n, n)
			return lc.do(ctx, http.MethodPost, "/v1/users", token, body, http.StatusCreated)
		}
	case "get":
		id, err := lc.createOne(ctx, token)
		if err != nil {
			return fmt.Errorf("dev load: %w", err)
		}
		request = func(ctx context.Context) (time.Duration, error) {
			return lc.do(ctx, http.MethodGet, "/v1/users/"+id, token, "", http.StatusOK)
		}
	case "login":
		bodies, err := lc.loginBodies(ctx, token, *email, pw, *accounts)
		if err != nil {
			return fmt.Errorf("dev load: %w", err)
		}
		var next atomic.Int64
		request = func(ctx context.Context) (time.Duration, error) {
			body := bodies[int(next.Add(1))%len(bodies)]
			return lc.do(ctx, http.MethodPost, "/v1/auth/login", "", body, http.StatusOK)
		}
	case "refusals":
		var cases []*refusalCase
		if cases, err = lc.refusalCases(ctx, token); err != nil {
			return fmt.Errorf("dev load: %w", err)
		}
		var next atomic.Int64
		request = func(ctx context.Context) (time.Duration, error) {
			n := next.Add(1)
			c := cases[int(n)%len(cases)]
			l, err := lc.do(ctx, http.MethodPost, "/v1/auth/login", "", c.body(n), http.StatusUnauthorized)
			if err == nil {
				c.record(l)
			}
			return l, err
		}
		defer func() {
			if err == nil {
				reportRefusals(stdout, cases)
			}
		}()
		refusalWarmupDone = func() {
			for _, c := range cases {
				c.reset()
			}
		}
	default:
		return fmt.Errorf("dev load: unknown --scenario %q (want create, get, login or refusals)", *scenario)
	}

	phase := func(d time.Duration, record bool) (lat []time.Duration, errs int64, elapsed time.Duration, firstErr error) {
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
					l, err := request(pctx)
					if pctx.Err() != nil {
						break
					}
					if err != nil {
						if nerr.Add(1) == 1 {
							mu.Lock()
							firstErr = err
							mu.Unlock()
						}
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
		return lat, nerr.Load(), time.Since(start), firstErr
	}
	phase(*warmup, false)
	if refusalWarmupDone != nil {
		refusalWarmupDone()
	}
	before, err := scrapeDelay(ctx, client, *url)
	if err != nil {
		return err
	}
	var lat []time.Duration
	var errs int64
	var elapsed time.Duration
	var firstErr error
	if *scenario == "login" {
		lat, errs, elapsed, firstErr = loginRounds(ctx, stdout, *rounds, *duration/time.Duration(*rounds), phase)
	} else {
		lat, errs, elapsed, firstErr = phase(*duration, true)
	}
	after, err := scrapeDelay(ctx, client, *url)
	if err != nil {
		return err
	}
	if len(lat) == 0 {
		return fmt.Errorf("dev load: no request succeeded (%d errors, first: %v)", errs, firstErr)
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Fprintf(stdout, "%s clients=%d requests=%d errors=%d rate=%.0f/s p50=%s p90=%s p99=%s max=%s\n",
		*scenario, *clients, len(lat), errs, float64(len(lat))/elapsed.Seconds(),
		pct(0.50).Round(10*time.Microsecond), pct(0.90).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))
	if firstErr != nil {
		fmt.Fprintf(stdout, "first_error: %v\n", firstErr)
	}
	if *scenario == "create" {
		delay := after.minus(before)
		fmt.Fprintf(stdout, "projection_delay events=%.0f p50<=%s p99<=%s within_100ms=%.2f%%\n",
			delay.count, seconds(delay.quantile(0.50)), seconds(delay.quantile(0.99)), 100*delay.fractionWithin(0.1))
	}
	return nil
}

// loginRounds alternates rounds of the raw argon2id rate of this machine
// (server idle) and of logins through the server, each round long, so
// that the machine's drift (other tenants, thermal) hits both sides of
// every ratio alike. It prints each round and the median and range of the
// ratios, and returns the login latencies of all rounds.
func loginRounds(ctx context.Context, stdout io.Writer, rounds int, round time.Duration,
	phase func(time.Duration, bool) ([]time.Duration, int64, time.Duration, error)) ([]time.Duration, int64, time.Duration, error) {
	var all []time.Duration
	var errs int64
	var elapsed time.Duration
	var firstErr error
	ratios := make([]float64, 0, rounds)
	for i := range rounds {
		raw := rawArgon2Rate(ctx, round)
		lat, e, d, err := phase(round, true)
		rate := float64(len(lat)) / d.Seconds()
		ratios = append(ratios, rate/raw)
		fmt.Fprintf(stdout, "round %d: argon2id_verify raw_rate=%.1f/s login_rate=%.1f/s ratio=%.1f%%\n", i+1, raw, rate, 100*rate/raw)
		all, errs, elapsed = append(all, lat...), errs+e, elapsed+d
		if firstErr == nil {
			firstErr = err
		}
	}
	slices.Sort(ratios)
	fmt.Fprintf(stdout, "argon2id (m=%d KiB, t=%d, p=%d) on %d cores: logins/raw median=%.1f%% min=%.1f%% max=%.1f%% rounds=%d\n",
		password.OWASP.Memory, password.OWASP.Iterations, password.OWASP.Parallelism, runtime.GOMAXPROCS(0),
		100*median(ratios), 100*ratios[0], 100*ratios[len(ratios)-1], rounds)
	return all, errs, elapsed, firstErr
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// rawArgon2Rate measures how many argon2id verifications at the OWASP
// parameters this machine does per second with one goroutine per core.
func rawArgon2Rate(ctx context.Context, d time.Duration) float64 {
	h := password.NewHasher(password.OWASP, runtime.GOMAXPROCS(0))
	hash, err := h.Hash(ctx, "load-test-password")
	if err != nil {
		return 0
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < d {
				if ok, _ := h.Verify(ctx, "load-test-password", hash); ok {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

// loadClient sends the load's requests.
type loadClient struct {
	client *http.Client
	base   string
}

func (c loadClient) do(ctx context.Context, method, path, token, body string, want int) (time.Duration, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		return 0, fmt.Errorf("%s %s: status %d", method, path, resp.StatusCode)
	}
	return time.Since(start), nil
}

func (c loadClient) login(ctx context.Context, email, pw string) (string, error) {
	body, _ := json.Marshal(map[string]string{"email": email, "password": pw})
	var out struct {
		Token string `json:"token"`
	}
	if err := c.json(ctx, http.MethodPost, "/v1/auth/login", "", string(body), http.StatusOK, &out); err != nil {
		return "", err
	}
	return out.Token, nil
}

// createOne creates the user the get scenario reads and returns its ID
// once the read model has it.
// loginBodies returns the login requests of n accounts: the given one, or
// n new members with a random password, created through the API and
// awaited in the read model (a login finds its account there).
func (c loadClient) loginBodies(ctx context.Context, token, email, pw string, n int) ([]string, error) {
	if n == 1 {
		body, _ := json.Marshal(map[string]string{"email": email, "password": pw})
		return []string{string(body)}, nil
	}
	pw, err := loadPassword()
	if err != nil {
		return nil, err
	}
	run := time.Now().UnixNano()
	bodies := make([]string, n)
	var last string
	for i := range n {
		email := fmt.Sprintf("load-login-%x-%d@load.example", run, i)
		id, pos, err := c.createMember(ctx, token, email, fmt.Sprintf("Login %d", i), pw)
		if err != nil {
			return nil, fmt.Errorf("create login account %d: %w", i, err)
		}
		last = "/v1/users/" + id + "?min_position=" + pos
		login, _ := json.Marshal(map[string]string{"email": email, "password": pw})
		bodies[i] = string(login)
	}
	if err := c.json(ctx, http.MethodGet, last, token, "", http.StatusOK, &struct{}{}); err != nil {
		return nil, fmt.Errorf("wait for the login accounts: %w", err)
	}
	return bodies, nil
}

func (c loadClient) createOne(ctx context.Context, token string) (string, error) {
	body := fmt.Sprintf(`{"email":"load-get-%x@load.example","first_name":"Load","last_name":"Reader","send_invite":true}`, time.Now().UnixNano())
	var out struct {
		UserID   string `json:"user_id"`
		Position string `json:"position"`
	}
	if err := c.json(ctx, http.MethodPost, "/v1/users", token, body, http.StatusCreated, &out); err != nil {
		return "", err
	}
	err := c.json(ctx, http.MethodGet, "/v1/users/"+out.UserID+"?min_position="+out.Position, token, "", http.StatusOK, &struct{}{})
	return out.UserID, err
}

func (c loadClient) json(ctx context.Context, method, path, token, body string, want int, dst any) error {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, raw)
	}
	return json.Unmarshal(raw, dst)
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

// refusalCase is one kind of refused login of the refusals scenario, with
// the latencies measured for it.
type refusalCase struct {
	name string
	body func(n int64) string
	mu   sync.Mutex
	lat  []time.Duration
}

func (c *refusalCase) record(l time.Duration) {
	c.mu.Lock()
	c.lat = append(c.lat, l)
	c.mu.Unlock()
}

func (c *refusalCase) reset() {
	c.mu.Lock()
	c.lat = c.lat[:0]
	c.mu.Unlock()
}

// refusalCases creates a member and a suspended member (each with a random
// password the load never sends) and returns the three kinds of refusal:
// an address nobody has (a new one each time), the member with a wrong
// password (it soon gets locked out, which is refused alike) and the
// suspended member.
func (c loadClient) refusalCases(ctx context.Context, token string) ([]*refusalCase, error) {
	pw, err := loadPassword()
	if err != nil {
		return nil, err
	}
	run := time.Now().UnixNano()
	emails := make([]string, 2)
	var last string
	for i, kind := range []string{"member", "suspended"} {
		emails[i] = fmt.Sprintf("load-refusal-%s-%x@load.example", kind, run)
		id, pos, err := c.createMember(ctx, token, emails[i], "Refusal", pw)
		if err != nil {
			return nil, fmt.Errorf("create the %s account: %w", kind, err)
		}
		last = "/v1/users/" + id + "?min_position=" + pos
		if kind == "suspended" {
			var s struct {
				Position string `json:"position"`
			}
			if err := c.json(ctx, http.MethodPost, "/v1/users/"+id+"/suspend", token, "", http.StatusOK, &s); err != nil {
				return nil, fmt.Errorf("suspend: %w", err)
			}
			last = "/v1/users/" + id + "?min_position=" + s.Position
		}
	}
	if err := c.json(ctx, http.MethodGet, last, token, "", http.StatusOK, &struct{}{}); err != nil {
		return nil, fmt.Errorf("wait for the accounts: %w", err)
	}
	wrong := func(email string) func(int64) string {
		return func(n int64) string {
			body, _ := json.Marshal(map[string]string{"email": email, "password": fmt.Sprintf("wrong password %d", n)})
			return string(body)
		}
	}
	return []*refusalCase{
		{name: "unknown", body: func(n int64) string {
			return wrong(fmt.Sprintf("load-refusal-nobody-%x-%d@load.example", run, n))(n)
		}},
		{name: "known", body: wrong(emails[0])},
		{name: "suspended", body: wrong(emails[1])},
	}, nil
}

// reportRefusals prints each kind's latency percentiles and its median
// against the unknown address's.
func reportRefusals(stdout io.Writer, cases []*refusalCase) {
	var base time.Duration
	for i, c := range cases {
		if len(c.lat) == 0 {
			continue
		}
		slices.Sort(c.lat)
		at := func(p float64) time.Duration { return c.lat[min(len(c.lat)-1, int(p*float64(len(c.lat))))] }
		med := at(0.5)
		if i == 0 {
			base = med
		}
		vs := ""
		if i > 0 && base > 0 {
			vs = fmt.Sprintf(" median_vs_unknown=%+.1f%%", 100*(float64(med)/float64(base)-1))
		}
		fmt.Fprintf(stdout, "refusal case=%s n=%d p25=%s p50=%s p75=%s p90=%s%s\n", c.name, len(c.lat),
			at(0.25).Round(10*time.Microsecond), med.Round(10*time.Microsecond), at(0.75).Round(10*time.Microsecond), at(0.90).Round(10*time.Microsecond), vs)
	}
}

// loadPassword is a random password for the accounts a scenario creates;
// the load never sends it wrong by accident.
func loadPassword() (string, error) {
	var secret [16]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return "", err
	}
	return "Load-" + hex.EncodeToString(secret[:]), nil
}

// createMember creates a member with a password and returns its ID and the
// position to wait for.
func (c loadClient) createMember(ctx context.Context, token, email, lastName, pw string) (id, position string, err error) {
	body, _ := json.Marshal(map[string]any{
		"email": email, "first_name": "Load", "last_name": lastName, "roles": []string{"member"}, "password": pw,
	})
	var out struct {
		UserID   string `json:"user_id"`
		Position string `json:"position"`
	}
	if err := c.json(ctx, http.MethodPost, "/v1/users", token, string(body), http.StatusCreated, &out); err != nil {
		return "", "", err
	}
	return out.UserID, out.Position, nil
}
