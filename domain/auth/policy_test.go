package auth_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/auth"
)

func TestPolicyValidate(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name       string
		p          auth.Policy
		wantFields []string // nil: valid
	}{
		{name: "default", p: auth.DefaultPolicy()},
		{name: "smallest", p: auth.Policy{MaxFailures: 1, Window: time.Second, LockDuration: time.Second}},
		{name: "largest", p: auth.Policy{MaxFailures: 100, Window: 30 * day, LockDuration: 365 * day, PermanentAfter: 100}},
		{name: "zero policy", p: auth.Policy{}, wantFields: []string{"max_failures", "window_seconds", "lock_duration_seconds"}},
		{
			name:       "everything too large",
			p:          auth.Policy{MaxFailures: 101, Window: 30*day + time.Second, LockDuration: 365*day + time.Second, PermanentAfter: 101},
			wantFields: []string{"max_failures", "window_seconds", "lock_duration_seconds", "permanent_after"},
		},
		{name: "negative permanent after", p: auth.Policy{MaxFailures: 5, Window: time.Minute, LockDuration: time.Minute, PermanentAfter: -1}, wantFields: []string{"permanent_after"}},
		{name: "fractional seconds", p: auth.Policy{MaxFailures: 5, Window: 1500 * time.Millisecond, LockDuration: time.Minute}, wantFields: []string{"window_seconds"}},
		{name: "negative lock", p: auth.Policy{MaxFailures: 5, Window: time.Minute, LockDuration: -time.Minute}, wantFields: []string{"lock_duration_seconds"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			if tc.wantFields == nil {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var ve *domain.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("Validate = %v, want a validation error", err)
			}
			var fields []string
			for _, f := range ve.Fields {
				fields = append(fields, f.Field)
			}
			if !slices.Equal(fields, tc.wantFields) {
				t.Fatalf("fields = %q, want %q", fields, tc.wantFields)
			}
		})
	}
}

func TestPolicyJSON(t *testing.T) {
	p := auth.Policy{MaxFailures: 7, Window: 10 * time.Minute, LockDuration: 2 * time.Hour, PermanentAfter: 3}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"max_failures":7,"window_seconds":600,"lock_duration_seconds":7200,"permanent_after":3}`
	if string(data) != want {
		t.Fatalf("JSON %s, want %s", data, want)
	}
	var back auth.Policy
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back != p {
		t.Fatalf("round trip %+v, want %+v", back, p)
	}
	// Seconds that overflow a Duration saturate, so Validate rejects them.
	if err := json.Unmarshal([]byte(`{"max_failures":5,"window_seconds":9223372036854775807,"lock_duration_seconds":60}`), &back); err != nil {
		t.Fatal(err)
	}
	if back.Window <= 0 || back.Validate() == nil {
		t.Fatalf("overflowing window %v accepted", back.Window)
	}
}

func TestPolicySettings(t *testing.T) {
	custom := auth.Policy{MaxFailures: 3, Window: time.Hour, LockDuration: time.Hour, PermanentAfter: 2}
	tests := []struct {
		name    string
		given   []domain.Event
		set     auth.Policy
		then    []domain.Event
		wantErr error
		current auth.Policy // after the command
	}{
		{name: "first set", set: custom, then: one(auth.PolicySet{Policy: custom, At: now}), current: custom},
		{name: "the default when never set changes nothing", set: auth.DefaultPolicy(), current: auth.DefaultPolicy()},
		{name: "unchanged", given: one(auth.PolicySet{Policy: custom, At: now}), set: custom, current: custom},
		{
			name:  "back to the default",
			given: one(auth.PolicySet{Policy: custom, At: now}), set: auth.DefaultPolicy(),
			then: one(auth.PolicySet{Policy: auth.DefaultPolicy(), At: now}), current: auth.DefaultPolicy(),
		},
		{name: "invalid", given: one(auth.PolicySet{Policy: custom, At: now}), set: auth.Policy{}, wantErr: domain.ErrInvalid, current: custom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := auth.LoadPolicySettings(tc.given...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.Set(tc.set, now)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
			if !slices.Equal(got, tc.then) {
				t.Fatalf("events %#v, want %#v", got, tc.then)
			}
			if s.Current() != tc.current {
				t.Fatalf("Current = %+v, want %+v", s.Current(), tc.current)
			}
			replayed, err := auth.LoadPolicySettings(append(slices.Clone(tc.given), got...)...)
			if err != nil {
				t.Fatal(err)
			}
			if replayed.Current() != s.Current() {
				t.Fatalf("replay gives %+v, command left %+v", replayed.Current(), s.Current())
			}
		})
	}
	if _, err := auth.LoadPolicySettings(succeeded(now)); err == nil {
		t.Fatal("folded a login event into the policy settings")
	}
}
