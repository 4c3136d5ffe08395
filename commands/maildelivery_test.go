package commands_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/maildelivery"
	"github.com/clarynext/usermgmt/domain/passwordpolicy"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
)

var mailTime = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func newMailDeliveries(t *testing.T) (*commands.MailDeliveries, *embedded.Store) {
	t.Helper()
	store, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	d, err := commands.NewMailDeliveries(store, func() time.Time { return mailTime })
	if err != nil {
		t.Fatal(err)
	}
	return d, store
}

func deliveryEvents(t *testing.T, store *embedded.Store, eventID string) []eventstore.RecordedEvent {
	t.Helper()
	recs, err := store.ReadStream(context.Background(), maildelivery.Stream(eventID), eventstore.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestMailDeliveriesRecordOnce(t *testing.T) {
	ctx := context.Background()
	d, store := newMailDeliveries(t)
	id := uuid.NewString()
	if done, err := d.Done(ctx, id); err != nil || done {
		t.Fatalf("Done before any record: %v, %v", done, err)
	}
	md := commands.System("req-1")
	md.CausationID = id
	if err := d.Record(ctx, md, maildelivery.NewSent(id, "invitation", mailTime)); err != nil {
		t.Fatal(err)
	}
	if done, err := d.Done(ctx, id); err != nil || !done {
		t.Fatalf("Done after a record: %v, %v", done, err)
	}
	// A second outcome, as a dispatcher whose lease ran out would record,
	// is no error and changes nothing.
	if err := d.Record(ctx, md, maildelivery.NewSkipped(id, maildelivery.ReasonLinkExpired, mailTime)); err != nil {
		t.Fatalf("second record: %v", err)
	}
	recs := deliveryEvents(t, store, id)
	if len(recs) != 1 || recs[0].Type != maildelivery.TypeSent {
		t.Fatalf("stream holds %d events, first %q; want the one sent", len(recs), recs[0].Type)
	}
	got, err := commands.DecodeMetadata(recs[0].Metadata)
	if err != nil {
		t.Fatal(err)
	}
	if got.ActorKind != commands.ActorSystem || got.CorrelationID != "req-1" || got.CausationID != id || !got.Time.Equal(mailTime) {
		t.Fatalf("metadata %+v", got)
	}
	if done, _ := d.Done(ctx, uuid.NewString()); done {
		t.Fatal("another event's mail is done")
	}
}

func TestMailDeliveriesConcurrentRecords(t *testing.T) {
	ctx := context.Background()
	d, store := newMailDeliveries(t)
	id := uuid.NewString()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			errs <- d.Record(ctx, commands.System(""), maildelivery.NewFailed(id, i+1, "smtp: 451", mailTime))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Record: %v", err)
		}
	}
	if recs := deliveryEvents(t, store, id); len(recs) != 1 {
		t.Fatalf("%d outcomes recorded, want 1", len(recs))
	}
}

func TestMailDeliveriesRejectsMalformedOutcomes(t *testing.T) {
	ctx := context.Background()
	d, _ := newMailDeliveries(t)
	tests := []struct {
		name string
		e    domain.Event
	}{
		{"no event ID", maildelivery.NewSent("", "invitation", mailTime)},
		{"unknown reason", maildelivery.NewSkipped(uuid.NewString(), "bored", mailTime)},
		{"not an outcome", passwordpolicy.PolicySet{At: mailTime}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := d.Record(ctx, commands.System(""), tt.e); !errors.Is(err, domain.ErrInvalid) {
				t.Fatalf("Record: %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := commands.NewMailDeliveries(nil, nil); err == nil {
		t.Fatal("NewMailDeliveries without a store succeeded")
	}
}
