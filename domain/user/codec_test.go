package user_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
)

// personal strings used in the samples; none may appear outside "pii".
const (
	sampleEmail  = "grace.hopper@example.com"
	sampleFirst  = "Grace"
	sampleLast   = "Hopper"
	sampleNote   = "Asked for invoices by post"
	sampleReason = "Shared her account"
)

// samples holds one fully populated event of every user event type.
func samples() []domain.Event {
	return []domain.Event{
		user.Created{UserID: userID, PII: user.PII{Email: sampleEmail, FirstName: sampleFirst, LastName: sampleLast, Attributes: map[string]string{"company": "Navy"}}, Roles: []string{"expert", "member"}, OrgID: "acme", OrgRole: "org_admin", Status: user.StatusUnverified, Source: user.SourceRegistration, At: t0},
		user.PasswordSet{UserID: userID, PII: user.PasswordPII{PasswordHash: hashA}, At: t0},
		user.InviteRequested{UserID: userID, At: t0},
		user.NameChanged{UserID: userID, PII: user.PII{FirstName: sampleFirst, LastName: sampleLast}, At: t0},
		user.EmailChanged{UserID: userID, PII: user.PII{Email: sampleEmail}, At: t0},
		user.RolesAssigned{UserID: userID, Roles: []string{"author", "vendor"}, At: t0},
		user.RolesUnassigned{UserID: userID, Roles: []string{"member"}, At: t0},
		user.OrganizationChanged{UserID: userID, OrgID: "globex", PreviousOrgID: "acme", Handling: string(user.ResetRoles), At: t0},
		user.Suspended{UserID: userID, PII: user.SuspensionPII{Reason: sampleReason}, At: t0},
		user.Reactivated{UserID: userID, Status: user.StatusInvited, At: t0},
		user.Deleted{UserID: userID, DataHandling: user.Anonymize, At: t0},
		user.NoteAdded{UserID: userID, NoteID: noteID, AuthorID: adminID, PII: user.NotePII{Text: sampleNote}, At: t0},
		user.OrgRoleChanged{UserID: userID, OrgID: "globex", Role: "member", PreviousRole: "org_admin", At: t0},
		user.TeamJoined{UserID: userID, OrgID: "globex", TeamID: noteID, Role: "lead", At: t0},
		user.TeamRoleChanged{UserID: userID, TeamID: noteID, Role: "member", At: t0},
		user.TeamLeft{UserID: userID, OrgID: "globex", TeamID: noteID, Reason: user.LeftTransfer, At: t0},
		user.InvitationSent{UserID: userID, Token: invite, At: t0},
		user.InvitationRevoked{UserID: userID, TokenID: invite.ID, At: t0},
		user.InvitationAccepted{UserID: userID, TokenID: invite.ID, At: t0},
		user.ResetRequested{UserID: userID, Token: invite, ByAdmin: true, At: t0},
		user.ResetCompleted{UserID: userID, TokenID: invite.ID, At: t0},
		user.VerificationSent{UserID: userID, Token: invite, At: t0},
		user.EmailVerified{UserID: userID, TokenID: invite.ID, At: t0},
	}
}

func newCodec(t *testing.T) *domain.Codec {
	t.Helper()
	c, err := domain.NewCodec(user.Registrations()...)
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	return c
}

func TestEventsRoundTrip(t *testing.T) {
	c := newCodec(t)
	var sampled []string
	for _, e := range samples() {
		sampled = append(sampled, e.EventType())
		t.Run(e.EventType(), func(t *testing.T) {
			roundTrip(t, c, e)
		})
	}
	slices.Sort(sampled)
	if got := c.Types(); !slices.Equal(got, sampled) {
		t.Fatalf("registered types %q, sampled %q: every event type needs a sample", got, sampled)
	}
}

// Events decided at time.Now() (monotonic clock, local zone) still equal
// themselves after storage.
func TestEventsFromCommandsRoundTrip(t *testing.T) {
	c := newCodec(t)
	var u user.User
	events, err := u.Create(uuid.New(), user.CreateInput{Email: "ada@example.com", Roles: []string{"member"}, SendInvite: true, Invitation: user.Token{ID: uuid.New(), Hash: invite.Hash, ExpiresAt: time.Now().Add(time.Hour).In(time.FixedZone("CET", 3600))}}, time.Now().In(time.FixedZone("CET", 3600)))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		roundTrip(t, c, e)
	}
}

func roundTrip(t *testing.T, c *domain.Codec, e domain.Event) {
	t.Helper()
	typ, data, err := c.Marshal(e)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	got, err := c.Unmarshal(typ, data)
	if err != nil {
		t.Fatalf("Unmarshal(%q, %s): %v", typ, data, err)
	}
	if !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip of %s:\n got %#v\nwant %#v", data, got, e)
	}
}

// The person's data sits only under the "pii" member, so that it can be
// encrypted as one group; the user ID is in every payload.
func TestPersonalDataOnlyUnderPII(t *testing.T) {
	personal := []string{sampleEmail, sampleFirst, sampleLast, sampleNote, sampleReason, hashA}
	for _, e := range samples() {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var members map[string]json.RawMessage
		if err := json.Unmarshal(data, &members); err != nil {
			t.Fatal(err)
		}
		if _, ok := members["user_id"]; !ok {
			t.Errorf("%s: no user_id member in %s", e.EventType(), data)
		}
		delete(members, domain.PIIMember)
		rest, err := json.Marshal(members)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range personal {
			if strings.Contains(string(rest), p) {
				t.Errorf("%s: %q outside %q in %s", e.EventType(), p, domain.PIIMember, data)
			}
		}
	}
}

func TestFoldRejectsForeignEvents(t *testing.T) {
	if _, err := user.Load(created, foreign{}); err == nil {
		t.Fatal("Load accepted an event of another aggregate")
	}
}

type foreign struct{}

func (foreign) EventType() string { return "org.created.v1" }
