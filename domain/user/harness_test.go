package user_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
)

// Fixtures shared by the scenarios.
var (
	userID   = uuid.MustParse("6f1c1d2e-0000-4000-8000-000000000001")
	adminID  = uuid.MustParse("6f1c1d2e-0000-4000-8000-0000000000ad")
	noteID   = uuid.MustParse("6f1c1d2e-0000-4000-8000-00000000000e")
	t0       = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now      = t0.Add(24 * time.Hour)
	hashA    = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"
	hashB    = "$argon2id$v=19$m=65536,t=3,p=4$b3RoZXJzYWx0$b3RoZXJoYXNob3RoZXJoYXNo"
	created  = user.Created{UserID: userID, PII: user.PII{Email: "Ada@example.com", FirstName: "Ada", LastName: "Lovelace"}, Roles: []string{"member"}, OrgID: "acme", At: t0}
	password = user.PasswordSet{UserID: userID, PII: user.PasswordPII{PasswordHash: hashA}, At: t0}
)

// history is the usual start: a created user with a password, followed by
// more events.
func history(more ...domain.Event) []domain.Event {
	return append([]domain.Event{created, password}, more...)
}

func suspended(reason string) user.Suspended {
	return user.Suspended{UserID: userID, PII: user.SuspensionPII{Reason: reason}, At: t0}
}

func deleted(h user.DataHandling) user.Deleted {
	return user.Deleted{UserID: userID, DataHandling: h, At: t0}
}

func ptr[T any](v T) *T { return &v }

// scenario is one "given events, when command, then events or error" case.
type scenario struct {
	name  string
	given []domain.Event
	when  func(u *user.User) ([]domain.Event, error)
	then  []domain.Event // expected events; empty means "no events"
	// wantErr, when set, is the error the command must return (errors.Is).
	wantErr error
	// wantFields are the "field:code" pairs of a *domain.ValidationError,
	// or the single pair of a *domain.ConflictError, in order.
	wantFields []string
}

func run(t *testing.T, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			u := load(t, sc.given...)
			got, err := sc.when(u)

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
				// A failed command leaves the aggregate as it was.
				if before := load(t, sc.given...); !reflect.DeepEqual(u, before) {
					t.Errorf("state changed by a failed command:\n got %#v\nwant %#v", u, before)
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
			// New events went through the same apply as replay: the
			// aggregate equals one loaded from the whole history.
			replayed := load(t, append(slices.Clone(sc.given), got...)...)
			if !reflect.DeepEqual(u, replayed) {
				t.Errorf("state after command differs from replay:\n got %#v\nwant %#v", u, replayed)
			}
		})
	}
}

func load(t *testing.T, events ...domain.Event) *user.User {
	t.Helper()
	u, err := user.Load(events...)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return u
}

// errorFields returns "field:code" for each field of a validation error, or
// for a conflict error; nil otherwise.
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
