package org_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/org"
)

// Fixtures shared by the scenarios.
var (
	teamA   = uuid.MustParse("7a000000-0000-4000-8000-00000000000a")
	teamB   = uuid.MustParse("7a000000-0000-4000-8000-00000000000b")
	teamC   = uuid.MustParse("7a000000-0000-4000-8000-00000000000c")
	t0      = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now     = t0.Add(24 * time.Hour)
	created = org.Created{OrgID: "acme", Name: "Acme Corp", At: t0}
	opsTeam = org.TeamCreated{OrgID: "acme", TeamID: teamA, Name: "Ops", At: t0}
	devTeam = org.TeamCreated{OrgID: "acme", TeamID: teamB, Name: "Dev", At: t0}
)

// history is the usual start: a created organization, followed by more
// events.
func history(more ...domain.Event) []domain.Event {
	return append([]domain.Event{created}, more...)
}

// scenario is one "given events, when command, then events or error" case.
type scenario struct {
	name  string
	given []domain.Event
	when  func(o *org.Org) ([]domain.Event, error)
	then  []domain.Event // expected events; empty means "no events"
	// wantErr, when set, is the error the command must return (errors.Is).
	wantErr error
	// wantFields are the "field:code" pairs of a *domain.ValidationError,
	// or the single pair of a *domain.ConflictError.
	wantFields []string
}

func run(t *testing.T, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			o := load(t, sc.given...)
			got, err := sc.when(o)

			if sc.wantErr != nil {
				if !errors.Is(err, sc.wantErr) {
					t.Fatalf("error = %v, want %v", err, sc.wantErr)
				}
				if len(got) != 0 {
					t.Errorf("events = %#v with error, want none", got)
				}
				if f := errorFields(err); sc.wantFields != nil && !slices.Equal(f, sc.wantFields) {
					t.Errorf("error fields = %q, want %q", f, sc.wantFields)
				}
				if before := load(t, sc.given...); !reflect.DeepEqual(o, before) {
					t.Errorf("state changed by a failed command:\n got %#v\nwant %#v", o, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(sc.then) == 0 {
				if len(got) != 0 {
					t.Fatalf("events = %#v, want none", got)
				}
			} else if !reflect.DeepEqual(got, sc.then) {
				t.Fatalf("events:\n got %#v\nwant %#v", got, sc.then)
			}
			replayed := load(t, append(slices.Clone(sc.given), got...)...)
			if !reflect.DeepEqual(o, replayed) {
				t.Errorf("state after command differs from replay:\n got %#v\nwant %#v", o, replayed)
			}
		})
	}
}

func load(t *testing.T, events ...domain.Event) *org.Org {
	t.Helper()
	o, err := org.Load(events...)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return o
}

func errorFields(err error) []string {
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		var out []string
		for _, f := range ve.Fields {
			out = append(out, f.Field+":"+f.Code)
		}
		return out
	}
	var ce *domain.ConflictError
	if errors.As(err, &ce) {
		return []string{ce.Field + ":" + ce.Code}
	}
	return nil
}
