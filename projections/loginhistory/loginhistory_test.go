package loginhistory_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/auth"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/projections/loginhistory"
	history "github.com/clarynext/usermgmt/readmodels/loginhistory"
	"github.com/clarynext/usermgmt/readmodels/redistest"
)

var (
	t0     = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	client = auth.ClientInfo{IP: "198.51.100.4", UserAgent: "Mozilla/5.0", Device: "mobile", Browser: "Safari 17", OS: "iOS"}
)

// recorder turns domain events into stored events of the global log, one
// position each, as the event store would deliver them.
type recorder struct {
	t     *testing.T
	codec *domain.Codec
	pos   uint64
	revs  map[string]uint64
}

func newRecorder(t *testing.T) *recorder {
	codec, err := domain.NewCodec(append(auth.Registrations(), user.Registrations()...)...)
	if err != nil {
		t.Fatal(err)
	}
	return &recorder{t: t, codec: codec, pos: 100, revs: map[string]uint64{}}
}

func (r *recorder) record(stream string, events ...domain.Event) []eventstore.RecordedEvent {
	r.t.Helper()
	var out []eventstore.RecordedEvent
	for _, e := range events {
		typ, data, err := r.codec.Marshal(e)
		if err != nil {
			r.t.Fatal(err)
		}
		r.pos += 7 // positions need not be dense
		out = append(out, eventstore.RecordedEvent{
			ID: uuid.New(), Stream: stream, Revision: r.revs[stream], Type: typ, Data: data,
			Position: eventstore.Position{Commit: r.pos, Prepare: r.pos},
		})
		r.revs[stream]++
	}
	return out
}

func TestProjection(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			rdb, prefix := b.Open(t)
			store := history.New(rdb, prefix)
			proj, err := loginhistory.New(store, store.Reset)
			if err != nil {
				t.Fatal(err)
			}
			if proj.Name != "login-history" || proj.Reset == nil {
				t.Fatalf("projector %+v", proj)
			}
			apply := func(evs []eventstore.RecordedEvent) {
				t.Helper()
				pipe := rdb.TxPipeline()
				if err := proj.Handler.Apply(ctx, pipe, evs); err != nil {
					t.Fatal(err)
				}
				if _, err := pipe.Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			list := func(id uuid.UUID) []history.Entry {
				t.Helper()
				p, err := store.List(ctx, id, "", history.MaxLimit)
				if err != nil {
					t.Fatal(err)
				}
				return p.Entries
			}

			r := newRecorder(t)
			ada, bob := uuid.New(), uuid.New()
			at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
			var log []eventstore.RecordedEvent
			log = append(log, r.record(user.Stream(ada), user.Created{UserID: ada, PII: user.PII{Email: "ada@example.com"}, At: at(0)})...)
			log = append(log, r.record(auth.Stream(ada),
				auth.LoginSucceeded{UserID: ada, At: at(1), Client: client},
				auth.LoginFailed{UserID: ada, At: at(2), Reason: auth.ReasonWrongPassword, Client: client},
			)...)
			log = append(log, r.record(auth.Stream(bob), auth.LoginFailed{UserID: bob, At: at(3), Reason: auth.ReasonSuspended})...)
			log = append(log, r.record(auth.Stream(ada),
				auth.LoginFailed{UserID: ada, At: at(4), Reason: auth.ReasonWrongPassword, Client: client},
				auth.Locked{UserID: ada, At: at(4), Until: at(19), Failures: 2},
				auth.LoginFailed{UserID: ada, At: at(5), Reason: auth.ReasonLocked, Client: client},
				auth.LockoutCleared{UserID: ada, At: at(6)},
				auth.LoginSucceeded{UserID: ada, At: at(7), Client: client},
			)...)

			apply(log[:3])
			apply(log[3:])
			pos := func(i int) uint64 { return log[i].Position.Commit }
			want := []history.Entry{
				{At: at(7), Success: true, IP: client.IP, UserAgent: client.UserAgent, Device: "mobile", Browser: "Safari 17", OS: "iOS", Position: pos(8)},
				{At: at(5), Reason: "locked", IP: client.IP, UserAgent: client.UserAgent, Device: "mobile", Browser: "Safari 17", OS: "iOS", Position: pos(6)},
				{At: at(4), Reason: "wrong_password", IP: client.IP, UserAgent: client.UserAgent, Device: "mobile", Browser: "Safari 17", OS: "iOS", Position: pos(4)},
				{At: at(2), Reason: "wrong_password", IP: client.IP, UserAgent: client.UserAgent, Device: "mobile", Browser: "Safari 17", OS: "iOS", Position: pos(2)},
				{At: at(1), Success: true, IP: client.IP, UserAgent: client.UserAgent, Device: "mobile", Browser: "Safari 17", OS: "iOS", Position: pos(1)},
			}
			if got := list(ada); !reflect.DeepEqual(got, want) {
				t.Fatalf("ada's history:\n got %+v\nwant %+v", got, want)
			}
			if got := list(bob); !reflect.DeepEqual(got, []history.Entry{{At: at(3), Reason: "suspended", Position: pos(3)}}) {
				t.Fatalf("bob's history %+v", got)
			}
			if last, err := store.LastLogin(ctx, ada); err != nil || !last.Equal(at(7)) {
				t.Fatalf("last login %v, %v", last, err)
			}

			// A replay of the whole log changes nothing.
			apply(log)
			if got := list(ada); !reflect.DeepEqual(got, want) {
				t.Fatalf("replay changed ada's history:\n got %+v", got)
			}

			// A soft delete keeps the history; anonymization drops it.
			apply(r.record(user.Stream(ada), user.Deleted{UserID: ada, DataHandling: user.Soft, At: at(8)}))
			if len(list(ada)) != len(want) {
				t.Fatal("a soft delete dropped the history")
			}
			apply(r.record(user.Stream(ada), user.Deleted{UserID: ada, DataHandling: user.Anonymize, At: at(9)}))
			if got := list(ada); len(got) != 0 {
				t.Fatalf("anonymized user's history %+v", got)
			}
			if last, _ := store.LastLogin(ctx, ada); !last.IsZero() {
				t.Fatalf("anonymized user's last login %v", last)
			}
			if len(list(bob)) != 1 {
				t.Fatal("another user's history was dropped")
			}
		})
	}
}

// Events the projector does not know (a newer version's) are skipped, not
// fatal; a known type with a broken payload stops the batch.
func TestUnknownAndBrokenEvents(t *testing.T) {
	rdb, prefix := redistest.Mini(t)
	store := history.New(rdb, prefix)
	proj, err := loginhistory.New(store, store.Reset)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	unknown := []eventstore.RecordedEvent{{ID: uuid.New(), Stream: auth.Stream(uuid.New()), Type: "auth.something_new.v1", Data: []byte(`{}`)}}
	if err := proj.Handler.Apply(ctx, rdb.TxPipeline(), unknown); err != nil {
		t.Fatalf("unknown event: %v", err)
	}
	broken := []eventstore.RecordedEvent{{ID: uuid.New(), Stream: auth.Stream(uuid.New()), Type: auth.TypeLoginFailed, Data: []byte(`{"at":42}`)}}
	if err := proj.Handler.Apply(ctx, rdb.TxPipeline(), broken); err == nil {
		t.Fatal("a broken payload was accepted")
	}
}
