package org_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/domaintest"
	"github.com/clarynext/usermgmt/domain/org"
	"github.com/clarynext/usermgmt/domain/user"
)

func TestCreate(t *testing.T) {
	create := func(id, name string) func(*org.Org) ([]domain.Event, error) {
		return func(o *org.Org) ([]domain.Event, error) { return o.Create(id, name, now) }
	}
	run(t, []scenario{
		{
			Name: "trimmed NFC name",
			When: create("acme", "  Acme Cafe\u0301 "),
			Then: []domain.Event{org.Created{OrgID: "acme", Name: "Acme Caf\u00e9", At: now}},
		},
		{
			Name:       "existing organization",
			Given:      history(),
			When:       create("acme", "Acme again"),
			WantErr:    domain.ErrConflict,
			WantFields: []string{"id:already_exists"},
		},
		{
			Name:       "archived organization's ID is not reused",
			Given:      history(org.Archived{OrgID: "acme", At: t0}),
			When:       create("acme", "Acme again"),
			WantErr:    domain.ErrConflict,
			WantFields: []string{"id:already_exists"},
		},
		{
			Name:       "every bad field at once",
			When:       create("acme corp", " "),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"id:invalid", "name:required"},
		},
		{
			Name:       "missing ID",
			When:       create("", "Acme"),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"id:required"},
		},
		{
			Name:       "name too long",
			When:       create("acme", strings.Repeat("é", org.MaxNameLength+1)),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"name:too_long"},
		},
		{
			Name:       "control character in name",
			When:       create("acme", "Acme\nCorp"),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"name:invalid"},
		},
	})
}

func TestRenameAndArchive(t *testing.T) {
	rename := func(name string) func(*org.Org) ([]domain.Event, error) {
		return func(o *org.Org) ([]domain.Event, error) { return o.Rename(name, now) }
	}
	archive := func(o *org.Org) ([]domain.Event, error) { return o.Archive(now) }
	archived := org.Archived{OrgID: "acme", At: t0}
	run(t, []scenario{
		{
			Name:  "rename",
			Given: history(),
			When:  rename(" Acme Inc "),
			Then:  []domain.Event{org.Renamed{OrgID: "acme", Name: "Acme Inc", At: now}},
		},
		{
			Name:  "rename to the same name changes nothing",
			Given: history(),
			When:  rename("Acme Corp "),
		},
		{
			Name:       "rename to nothing",
			Given:      history(),
			When:       rename(""),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"name:required"},
		},
		{
			Name:    "rename unknown organization",
			When:    rename("Acme"),
			WantErr: org.ErrNoOrg,
		},
		{
			Name:    "rename archived organization",
			Given:   history(archived),
			When:    rename("Acme Inc"),
			WantErr: org.ErrArchived,
		},
		{
			Name:  "archive",
			Given: history(opsTeam),
			When:  archive,
			Then:  []domain.Event{org.Archived{OrgID: "acme", At: now}},
		},
		{
			Name:  "archive an archived organization changes nothing",
			Given: history(archived),
			When:  archive,
		},
		{
			Name:    "archive unknown organization",
			When:    archive,
			WantErr: org.ErrNoOrg,
		},
	})
}

func TestTeams(t *testing.T) {
	createTeam := func(id uuid.UUID, name string) func(*org.Org) ([]domain.Event, error) {
		return func(o *org.Org) ([]domain.Event, error) { return o.CreateTeam(id, name, now) }
	}
	renameTeam := func(id uuid.UUID, name string) func(*org.Org) ([]domain.Event, error) {
		return func(o *org.Org) ([]domain.Event, error) { return o.RenameTeam(id, name, now) }
	}
	deleteTeam := func(id uuid.UUID) func(*org.Org) ([]domain.Event, error) {
		return func(o *org.Org) ([]domain.Event, error) { return o.DeleteTeam(id, now) }
	}
	archived := org.Archived{OrgID: "acme", At: t0}
	opsDeleted := org.TeamDeleted{OrgID: "acme", TeamID: teamA, At: t0}
	run(t, []scenario{
		{
			Name:  "create team",
			Given: history(opsTeam),
			When:  createTeam(teamC, " Support "),
			Then:  []domain.Event{org.TeamCreated{OrgID: "acme", TeamID: teamC, Name: "Support", At: now}},
		},
		{
			Name:       "team names are unique regardless of case",
			Given:      history(opsTeam),
			When:       createTeam(teamC, "OPS"),
			WantErr:    domain.ErrConflict,
			WantFields: []string{"name:name_taken"},
		},
		{
			Name:  "a deleted team's name is free again",
			Given: history(opsTeam, opsDeleted),
			When:  createTeam(teamC, "ops"),
			Then:  []domain.Event{org.TeamCreated{OrgID: "acme", TeamID: teamC, Name: "ops", At: now}},
		},
		{
			Name:       "a deleted team's ID is not reused",
			Given:      history(opsTeam, opsDeleted),
			When:       createTeam(teamA, "Ops"),
			WantErr:    domain.ErrConflict,
			WantFields: []string{"team_id:already_exists"},
		},
		{
			Name:       "every bad field at once",
			Given:      history(),
			When:       createTeam(uuid.Nil, strings.Repeat("x", org.MaxNameLength+1)),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"team_id:required", "name:too_long"},
		},
		{
			Name:    "create team in an archived organization",
			Given:   history(archived),
			When:    createTeam(teamC, "Support"),
			WantErr: org.ErrArchived,
		},
		{
			Name:    "create team in an unknown organization",
			When:    createTeam(teamC, "Support"),
			WantErr: org.ErrNoOrg,
		},
		{
			Name:  "rename team",
			Given: history(opsTeam, devTeam),
			When:  renameTeam(teamA, "Operations"),
			Then:  []domain.Event{org.TeamRenamed{OrgID: "acme", TeamID: teamA, Name: "Operations", At: now}},
		},
		{
			Name:  "rename team in case only",
			Given: history(opsTeam, devTeam),
			When:  renameTeam(teamA, "OPS"),
			Then:  []domain.Event{org.TeamRenamed{OrgID: "acme", TeamID: teamA, Name: "OPS", At: now}},
		},
		{
			Name:  "rename team to its name changes nothing",
			Given: history(opsTeam),
			When:  renameTeam(teamA, " Ops"),
		},
		{
			Name:       "rename team to another team's name",
			Given:      history(opsTeam, devTeam),
			When:       renameTeam(teamA, "dev"),
			WantErr:    domain.ErrConflict,
			WantFields: []string{"name:name_taken"},
		},
		{
			Name:    "rename deleted team",
			Given:   history(opsTeam, opsDeleted),
			When:    renameTeam(teamA, "Ops 2"),
			WantErr: org.ErrNoTeam,
		},
		{
			Name:    "rename team of an archived organization",
			Given:   history(opsTeam, archived),
			When:    renameTeam(teamA, "Ops 2"),
			WantErr: org.ErrArchived,
		},
		{
			Name:  "delete team",
			Given: history(opsTeam, devTeam),
			When:  deleteTeam(teamB),
			Then:  []domain.Event{org.TeamDeleted{OrgID: "acme", TeamID: teamB, At: now}},
		},
		{
			Name:    "delete deleted team",
			Given:   history(opsTeam, opsDeleted),
			When:    deleteTeam(teamA),
			WantErr: org.ErrNoTeam,
		},
		{
			Name:    "delete unknown team",
			Given:   history(),
			When:    deleteTeam(teamC),
			WantErr: domain.ErrNotFound,
		},
		{
			Name:    "delete team of an archived organization",
			Given:   history(opsTeam, archived),
			When:    deleteTeam(teamA),
			WantErr: org.ErrArchived,
		},
	})
}

func TestAccessors(t *testing.T) {
	var zero org.Org
	if zero.Exists() || zero.Archived() || zero.Name() != "" || len(zero.Teams()) != 0 {
		t.Fatalf("zero Org: %#v", zero)
	}
	o := load(t, history(
		opsTeam, devTeam,
		org.TeamCreated{OrgID: "acme", TeamID: teamC, Name: "api", At: t0},
		org.TeamRenamed{OrgID: "acme", TeamID: teamA, Name: "Build", At: t0},
		org.TeamDeleted{OrgID: "acme", TeamID: teamB, At: t0},
		org.Renamed{OrgID: "acme", Name: "Acme Inc", At: t0},
		org.Archived{OrgID: "acme", At: t0},
	)...)
	if !o.Exists() || !o.Archived() || o.Name() != "Acme Inc" || o.ID() != "acme" || !o.CreatedAt().Equal(t0) {
		t.Fatalf("org: %#v", o)
	}
	want := []org.Team{{ID: teamC, Name: "api"}, {ID: teamA, Name: "Build"}}
	if got := o.Teams(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Teams() = %v, want %v (live teams by name, case-insensitively)", got, want)
	}
	if tm, ok := o.Team(teamA); !ok || tm.Name != "Build" {
		t.Fatalf("Team(A) = %v, %v", tm, ok)
	}
	if _, ok := o.Team(teamB); ok {
		t.Fatal("Team finds a deleted team")
	}
}

func TestValidateID(t *testing.T) {
	tests := []struct {
		id   string
		code string // "" for valid
	}{
		{"acme", ""},
		{"Org-1_a.b:c", ""},
		{"0b5a4c1e-7d0e-4a55-9c1f-6f1a2b3c4d5e", ""},
		{strings.Repeat("a", org.MaxIDLength), ""},
		{"", domain.CodeRequired},
		{strings.Repeat("a", org.MaxIDLength+1), domain.CodeTooLong},
		{"acme corp", domain.CodeInvalid},
		{" acme", domain.CodeInvalid},
		{"acme/x", domain.CodeInvalid},
		{"acmé", domain.CodeInvalid},
		{"a*", domain.CodeInvalid},
	}
	for _, tc := range tests {
		err := org.ValidateID(tc.id)
		var got []string
		if err != nil {
			got = domaintest.ErrorFields(err)
		}
		var want []string
		if tc.code != "" {
			want = []string{"id:" + tc.code}
		}
		if !slices.Equal(got, want) {
			t.Errorf("ValidateID(%q) = %v, want %v", tc.id, got, want)
		}
	}
}

// TestIDRuleMatchesUsers: an ID is a valid organization ID exactly when a
// user can be moved to it unchanged, so every user's organization can be
// loaded from its stream.
func TestIDRuleMatchesUsers(t *testing.T) {
	var candidates []string
	for c := 0; c < 256; c++ {
		candidates = append(candidates, "a"+string(rune(c))+"b", string([]byte{'x', byte(c)}))
	}
	candidates = append(candidates, "", strings.Repeat("z", 128), strings.Repeat("z", 129), "é", "acme")
	uid := uuid.MustParse("6f1c1d2e-0000-4000-8000-000000000001")
	for _, id := range candidates {
		u, err := user.Load(user.Created{UserID: uid, PII: user.PII{Email: "a@example.com"}, OrgID: "start", At: t0})
		if err != nil {
			t.Fatal(err)
		}
		events, err := u.ChangeOrganization(id, now)
		userTakesIt := err == nil && id != "" && len(events) == 1 && events[0].(user.OrganizationChanged).OrgID == id
		if orgTakesIt := org.ValidateID(id) == nil; orgTakesIt != userTakesIt {
			t.Errorf("%q: org.ValidateID accepts: %v, user takes it unchanged: %v", id, orgTakesIt, userTakesIt)
		}
	}
}

func TestEventsRoundTrip(t *testing.T) {
	codec, err := domain.NewCodec(org.Registrations()...)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().In(time.FixedZone("CET", 3600))
	var o org.Org
	var events []domain.Event
	for _, step := range []func() ([]domain.Event, error){
		func() ([]domain.Event, error) { return o.Create("acme", "Acme", at) },
		func() ([]domain.Event, error) { return o.Rename("Acme Inc", at) },
		func() ([]domain.Event, error) { return o.CreateTeam(teamA, "Ops", at) },
		func() ([]domain.Event, error) { return o.RenameTeam(teamA, "Build", at) },
		func() ([]domain.Event, error) { return o.DeleteTeam(teamA, at) },
		func() ([]domain.Event, error) { return o.Archive(at) },
	} {
		evs, err := step()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, evs...)
	}
	var types []string
	for _, e := range events {
		typ, data, err := codec.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, typ)
		back, err := codec.Unmarshal(typ, data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, e) {
			t.Errorf("round trip of %s:\n got %#v\nwant %#v", data, back, e)
		}
		var members map[string]json.RawMessage
		if err := json.Unmarshal(data, &members); err != nil || members["org_id"] == nil {
			t.Errorf("%s: no org_id member in %s", typ, data)
		}
	}
	slices.Sort(types)
	if !slices.Equal(types, codec.Types()) {
		t.Fatalf("events cover %q, registered %q", types, codec.Types())
	}
}

func TestFoldRejectsForeignEvents(t *testing.T) {
	if _, err := org.Load(created, user.Reactivated{}); err == nil {
		t.Fatal("Load accepted an event of another aggregate")
	}
}
