package mailoutbox_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
	"github.com/clarynext/usermgmt/infra/mail"
	"github.com/clarynext/usermgmt/projections"
	"github.com/clarynext/usermgmt/projections/mailoutbox"
	"github.com/clarynext/usermgmt/readmodels/mailqueue"
	"github.com/clarynext/usermgmt/readmodels/redistest"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func token(at time.Time) user.Token {
	return user.Token{ID: uuid.New(), Hash: "00", ExpiresAt: at.Add(time.Hour)}
}

// appendEvents appends domain events to a stream of the embedded store,
// with the metadata a command would write, and returns their IDs.
func appendEvents(t *testing.T, store *embedded.Store, stream, correlation string, events ...domain.Event) []uuid.UUID {
	t.Helper()
	codec, err := domain.NewCodec(user.Registrations()...)
	if err != nil {
		t.Fatal(err)
	}
	var data []eventstore.EventData
	var ids []uuid.UUID
	for _, e := range events {
		typ, payload, err := codec.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		id := uuid.New()
		ids = append(ids, id)
		data = append(data, eventstore.EventData{
			ID: id, Type: typ, Data: payload,
			Metadata: []byte(`{"actor_id":"system","actor_kind":"system","correlation_id":"` + correlation + `","schema_version":1}`),
		})
	}
	if _, err := store.Append(context.Background(), stream, eventstore.Any(), data...); err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestProjection runs the projector with the real runner over an embedded
// store: each mail event becomes one queue item due at its event's time,
// other events are skipped, and a rebuild queues the same items again
// without duplicates.
func TestProjection(t *testing.T) {
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			store, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			rdb, prefix := b.Open(t)
			queue := mailqueue.New(rdb, prefix+"mailqueue:")
			proj, err := mailoutbox.New(queue)
			if err != nil {
				t.Fatal(err)
			}
			if proj.Name != "mail-outbox" || !reflect.DeepEqual(proj.Prefixes, []string{user.StreamPrefix}) || proj.Reset == nil {
				t.Fatalf("projector %+v", proj)
			}

			ada, bob := uuid.New(), uuid.New()
			inv, reset, verify := token(t0), token(t0.Add(time.Minute)), token(t0.Add(2*time.Minute))
			adaIDs := appendEvents(t, store, user.Stream(ada), "req-ada",
				user.Created{UserID: ada, PII: user.PII{Email: "ada@example.com"}, Status: user.StatusInvited, At: t0},
				user.InvitationSent{UserID: ada, Token: inv, At: t0},
				user.InvitationAccepted{UserID: ada, TokenID: inv.ID, At: t0.Add(30 * time.Second)},
				user.ResetRequested{UserID: ada, Token: reset, At: t0.Add(time.Minute)},
			)
			bobIDs := appendEvents(t, store, user.Stream(bob), "",
				user.Created{UserID: bob, PII: user.PII{Email: "bob@example.com"}, Status: user.StatusUnverified, At: t0},
				user.VerificationSent{UserID: bob, Token: verify, At: t0.Add(2 * time.Minute)},
			)
			// Another kind of stream is not read.
			if _, err := store.Append(ctx, "auth-"+ada.String(), eventstore.Any(),
				eventstore.EventData{ID: uuid.New(), Type: user.TypeInvitationSent, Data: []byte(`{}`)}); err != nil {
				t.Fatal(err)
			}
			want := map[string]struct {
				item mailqueue.Item
				due  time.Time
			}{
				adaIDs[1].String(): {mailqueue.Item{EventID: adaIDs[1].String(), Kind: mail.KindInvitation, UserID: ada, TokenID: inv.ID, CorrelationID: "req-ada"}, t0},
				adaIDs[3].String(): {mailqueue.Item{EventID: adaIDs[3].String(), Kind: mail.KindPasswordReset, UserID: ada, TokenID: reset.ID, CorrelationID: "req-ada"}, t0.Add(time.Minute)},
				bobIDs[1].String(): {mailqueue.Item{EventID: bobIDs[1].String(), Kind: mail.KindVerification, UserID: bob, TokenID: verify.ID}, t0.Add(2 * time.Minute)},
			}
			check := func(stage string) {
				t.Helper()
				if n, err := queue.Len(ctx); err != nil || n != len(want) {
					t.Fatalf("%s: queue holds %d items (%v), want %d", stage, n, err, len(want))
				}
				for id, w := range want {
					got, due, ok, err := queue.Get(ctx, id)
					if err != nil || !ok || got != w.item || !due.Equal(w.due) {
						t.Fatalf("%s: item %s = %+v due %v (%v, %v); want %+v due %v", stage, id, got, due, ok, err, w.item, w.due)
					}
				}
			}

			runner, err := projections.NewRunner(projections.Config{
				Source: store, Redis: rdb, Prefix: prefix, LeaseTTL: time.Second, IdleCheck: 5 * time.Millisecond,
			}, proj)
			if err != nil {
				t.Fatal(err)
			}
			waiter := projections.NewWaiter(rdb, prefix)
			head, err := store.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.EndPosition, Max: 1})
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- runner.Run(ctx) }()
			if err := waiter.WaitFor(ctx, mailoutbox.Name, head[0].Position, 10*time.Second); err != nil {
				t.Fatalf("wait for the projector: %v", err)
			}
			check("live")
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}

			// A rebuild empties the queue and queues the same items again.
			if err := runner.Rebuild(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
			ctx = context.Background()
			check("rebuilt")
		})
	}
}

// A replayed batch neither duplicates nor resets an item; a broken payload
// of a mail event stops the batch.
func TestReplayAndBrokenEvents(t *testing.T) {
	ctx := context.Background()
	rdb, prefix := redistest.Mini(t)
	queue := mailqueue.New(rdb, prefix)
	proj, err := mailoutbox.New(queue)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := domain.NewCodec(user.Registrations()...)
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.New()
	typ, data, err := codec.Marshal(user.InvitationSent{UserID: id, Token: token(t0), At: t0})
	if err != nil {
		t.Fatal(err)
	}
	evs := []eventstore.RecordedEvent{{ID: uuid.New(), Stream: user.Stream(id), Type: typ, Data: data}}
	apply := func(evs []eventstore.RecordedEvent) error {
		pipe := rdb.TxPipeline()
		if err := proj.Handler.Apply(ctx, pipe, evs); err != nil {
			return err
		}
		_, err := pipe.Exec(ctx)
		return err
	}
	if err := apply(evs); err != nil {
		t.Fatal(err)
	}
	claimed, err := queue.Claim(ctx, t0, time.Minute, 1)
	if err != nil || len(claimed) != 1 || claimed[0].CorrelationID != "" {
		t.Fatalf("claim %+v, %v", claimed, err)
	}
	if err := queue.Retry(ctx, claimed[0], t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := apply(evs); err != nil {
		t.Fatal(err)
	}
	got, due, ok, err := queue.Get(ctx, evs[0].ID.String())
	if err != nil || !ok || got.Attempts != 1 || !due.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after a replay: %+v due %v (%v, %v)", got, due, ok, err)
	}
	if n, _ := queue.Len(ctx); n != 1 {
		t.Fatalf("queue holds %d items", n)
	}

	broken := []eventstore.RecordedEvent{{ID: uuid.New(), Stream: user.Stream(id), Type: user.TypeResetRequested, Data: []byte(`{"at":42}`)}}
	if err := apply(broken); err == nil {
		t.Fatal("a broken payload was accepted")
	}
	unknown := []eventstore.RecordedEvent{{ID: uuid.New(), Stream: user.Stream(id), Type: "user.something_new.v1", Data: []byte(`{`)}}
	if err := apply(unknown); err != nil {
		t.Fatalf("an unknown event: %v", err)
	}
	if _, err := mailoutbox.New(nil); err == nil {
		t.Fatal("New without a queue succeeded")
	}
}
