package rolecatalogue_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/role"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/projections"
	"github.com/clarynext/usermgmt/projections/rolecatalogue"
	"github.com/clarynext/usermgmt/readmodels/redistest"
	"github.com/clarynext/usermgmt/readmodels/roles"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// recorder turns domain events into stored events of their role streams,
// numbering each stream's revisions.
type recorder struct {
	t     *testing.T
	codec *domain.Codec
	revs  map[string]uint64
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	c, err := domain.NewCodec(role.Registrations()...)
	if err != nil {
		t.Fatal(err)
	}
	return &recorder{t: t, codec: c, revs: map[string]uint64{}}
}

func (r *recorder) record(stream string, e domain.Event) eventstore.RecordedEvent {
	r.t.Helper()
	typ, data, err := r.codec.Marshal(e)
	if err != nil {
		r.t.Fatal(err)
	}
	rev := r.revs[stream]
	r.revs[stream]++
	return eventstore.RecordedEvent{ID: uuid.New(), Stream: stream, Revision: rev, Type: typ, Data: data}
}

type env struct {
	rdb   redis.UniversalClient
	store *roles.Store
	proj  projections.Projector
}

func newEnv(t *testing.T, b redistest.Backend) *env {
	t.Helper()
	rdb, prefix := b.Open(t)
	store := roles.New(rdb, prefix)
	proj, err := rolecatalogue.New(store, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &env{rdb: rdb, store: store, proj: proj}
}

// apply runs the handler on evs in one MULTI/EXEC, as the runner does.
func (e *env) apply(ctx context.Context, evs []eventstore.RecordedEvent) error {
	pipe := e.rdb.TxPipeline()
	if err := e.proj.Handler.Apply(ctx, pipe, evs); err != nil {
		pipe.Discard()
		return err
	}
	_, err := pipe.Exec(ctx)
	return err
}

func TestProjector(t *testing.T) {
	if p, _ := rolecatalogue.New(roles.New(nil, "x:"), nil); p.Name != "roles" || !reflect.DeepEqual(p.Prefixes, []string{role.StreamPrefix}) {
		t.Fatalf("projector %q reads %v", p.Name, p.Prefixes)
	}
	for _, b := range redistest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, b)
			rec := newRecorder(t)
			stream := role.Stream("auditor")
			at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
			audit := []role.Permission{role.ReadAudit}
			both := []role.Permission{role.ReadAudit, role.ReadReports}
			steps := []struct {
				name string
				evt  domain.Event
				want roles.Role
				live bool // in the catalogue
			}{
				{"created", role.Created{Key: "auditor", Name: "Auditor", Permissions: audit, At: at(0)},
					roles.Role{Key: "auditor", Name: "Auditor", Permissions: audit, Created: at(0), Updated: at(0), Revision: 0}, true},
				{"renamed", role.Renamed{Key: "auditor", Name: "Compliance auditor", At: at(1)},
					roles.Role{Key: "auditor", Name: "Compliance auditor", Permissions: audit, Created: at(0), Updated: at(1), Revision: 1}, true},
				{"described", role.Described{Key: "auditor", Description: "Reads the audit log", At: at(2)},
					roles.Role{Key: "auditor", Name: "Compliance auditor", Description: "Reads the audit log", Permissions: audit, Created: at(0), Updated: at(2), Revision: 2}, true},
				{"permissions changed", role.PermissionsChanged{Key: "auditor", Permissions: both, At: at(3)},
					roles.Role{Key: "auditor", Name: "Compliance auditor", Description: "Reads the audit log", Permissions: both, Created: at(0), Updated: at(3), Revision: 3}, true},
				{"deleted", role.Deleted{Key: "auditor", At: at(4)},
					roles.Role{Key: "auditor", Name: "Compliance auditor", Description: "Reads the audit log", Permissions: both, Deleted: true, Created: at(0), Updated: at(4), Revision: 4}, false},
			}
			var history []eventstore.RecordedEvent
			for _, step := range steps {
				history = append(history, rec.record(stream, step.evt))
				for _, pass := range []string{"apply", "replay"} {
					// Every event so far: the earlier ones must be skipped.
					if err := e.apply(ctx, history); err != nil {
						t.Fatalf("%s: %s: %v", step.name, pass, err)
					}
					got, err := e.store.Get(ctx, "auditor")
					if err != nil {
						t.Fatalf("%s: %s: get: %v", step.name, pass, err)
					}
					if !reflect.DeepEqual(got, step.want) {
						t.Fatalf("%s: %s: doc %+v, want %+v", step.name, pass, got, step.want)
					}
					c, err := e.store.Catalogue(ctx)
					if err != nil {
						t.Fatal(err)
					}
					d, ok := c.Lookup("auditor")
					if ok != step.live || (ok && !reflect.DeepEqual(d, step.want.Definition())) {
						t.Fatalf("%s: %s: catalogue has %+v, %v; want live %v", step.name, pass, d, ok, step.live)
					}
				}
			}

			// An old batch delivered again (the runner retried after a lost
			// EXEC reply) changes nothing.
			if err := e.apply(ctx, history[:2]); err != nil {
				t.Fatal(err)
			}
			if got, _ := e.store.Get(ctx, "auditor"); !reflect.DeepEqual(got, steps[len(steps)-1].want) {
				t.Fatalf("an old batch changed the doc: %+v", got)
			}

			// The whole history in one batch, next to another role, gives
			// the same doc as step by step.
			fresh := newEnv(t, b)
			other := rec.record(role.Stream("reviewer"), role.Created{Key: "reviewer", Name: "Reviewer", Permissions: []role.Permission{role.ReadUsers}, At: at(5)})
			batch := append([]eventstore.RecordedEvent{history[0], other}, history[1:]...)
			if err := fresh.apply(ctx, batch); err != nil {
				t.Fatal(err)
			}
			got, err := fresh.store.Get(ctx, "auditor")
			if err != nil || !reflect.DeepEqual(got, steps[len(steps)-1].want) {
				t.Fatalf("one batch: %+v, %v; want %+v", got, err, steps[len(steps)-1].want)
			}
			list, err := fresh.store.List(ctx, false)
			if err != nil {
				t.Fatal(err)
			}
			if last := list[len(list)-1]; last.Key != "reviewer" || last.Revision != 0 || last.Name != "Reviewer" {
				t.Fatalf("list ends with %+v, want the reviewer role", last)
			}
		})
	}
}

func TestProjectorRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		stream string
		evt    domain.Event
		typ    string // overrides the stored type
		errHas string
	}{
		{name: "event before creation", stream: role.Stream("auditor"), evt: role.Renamed{Key: "auditor", Name: "X", At: t0}, errHas: "before its creation"},
		{name: "built-in role stream", stream: role.Stream(role.Member), evt: role.Created{Key: role.Member, Name: "X", Permissions: []role.Permission{role.ReadAudit}, At: t0}, errHas: "not a custom role stream"},
		{name: "stream that is no role key", stream: "role-Bad Key", evt: role.Created{Key: "x", Name: "X", Permissions: []role.Permission{role.ReadAudit}, At: t0}, errHas: "not a custom role stream"},
		{name: "unknown event type", stream: role.Stream("auditor"), evt: role.Deleted{Key: "auditor", At: t0}, typ: "role.exploded.v1", errHas: "unknown event type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, redistest.Backend{Name: "miniredis", Open: redistest.Mini})
			ev := newRecorder(t).record(tc.stream, tc.evt)
			if tc.typ != "" {
				ev.Type = tc.typ
			}
			err := e.apply(ctx, []eventstore.RecordedEvent{ev})
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("err = %v, want one saying %q", err, tc.errHas)
			}
			if _, err := e.store.Get(ctx, "auditor"); !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("a rejected batch wrote: %v", err)
			}
		})
	}
}
