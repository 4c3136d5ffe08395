// Package domaintest runs the "given events, when command, then events or
// error" scenarios of the domain packages' tests. It is for _test files
// only; nothing in the service imports it.
package domaintest

import (
	"errors"
	"reflect"
	"slices"
	"testing"

	"github.com/clarynext/usermgmt/domain"
)

// Scenario is one "given events, when command, then events or error" case
// on an aggregate of type A (such as *user.User).
type Scenario[A any] struct {
	Name  string
	Given []domain.Event
	When  func(A) ([]domain.Event, error)
	Then  []domain.Event // expected events; empty means "no events"
	// WantErr, when set, is the error the command must return (errors.Is).
	WantErr error
	// WantFields, when set with WantErr, are the "field:code" pairs of a
	// *domain.ValidationError, or the single pair of a
	// *domain.ConflictError, in order (see ErrorFields).
	WantFields []string
}

// Run runs each scenario as a subtest on an aggregate that load folds from
// its given events. load is the aggregate's fold, such as user.Load.
//
// A command that fails must return no events and leave the aggregate as it
// was. A command that succeeds must return exactly the expected events,
// and leave the aggregate equal to one loaded from the given events
// followed by the new ones: new events go through the same apply as
// replay.
func Run[A any](t *testing.T, load func(events ...domain.Event) (A, error), scenarios []Scenario[A]) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			a := Load(t, load, sc.Given...)
			got, err := sc.When(a)

			if sc.WantErr != nil {
				if !errors.Is(err, sc.WantErr) {
					t.Fatalf("error = %v, want %v", err, sc.WantErr)
				}
				if len(got) != 0 {
					t.Errorf("events = %#v with error, want none", got)
				}
				if f := ErrorFields(err); sc.WantFields != nil && !slices.Equal(f, sc.WantFields) {
					t.Errorf("error fields = %q, want %q", f, sc.WantFields)
				}
				// A failed command leaves the aggregate as it was.
				if before := Load(t, load, sc.Given...); !reflect.DeepEqual(a, before) {
					t.Errorf("state changed by a failed command:\n got %#v\nwant %#v", a, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(sc.Then) == 0 {
				if len(got) != 0 {
					t.Fatalf("events = %#v, want none", got)
				}
			} else if !reflect.DeepEqual(got, sc.Then) {
				t.Fatalf("events:\n got %#v\nwant %#v", got, sc.Then)
			}
			// New events went through the same apply as replay: the
			// aggregate equals one loaded from the whole history.
			replayed := Load(t, load, append(slices.Clone(sc.Given), got...)...)
			if !reflect.DeepEqual(a, replayed) {
				t.Errorf("state after command differs from replay:\n got %#v\nwant %#v", a, replayed)
			}
		})
	}
}

// Load folds events with load, failing the test if they do not fold.
func Load[A any](t testing.TB, load func(events ...domain.Event) (A, error), events ...domain.Event) A {
	t.Helper()
	a, err := load(events...)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return a
}

// ErrorFields returns "field:code" for each field of a
// *domain.ValidationError, or the one of a *domain.ConflictError; nil for
// any other error.
func ErrorFields(err error) []string {
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
