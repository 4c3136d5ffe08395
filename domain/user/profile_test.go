package user_test

import (
	"strings"
	"testing"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
)

func TestChangeName(t *testing.T) {
	changeName := func(first, last string) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.ChangeName(first, last, now) }
	}
	run(t, []scenario{
		{
			Name:  "new name",
			Given: history(),
			When:  changeName("Augusta Ada", "King"),
			Then:  []domain.Event{user.NameChanged{UserID: userID, PII: user.PII{FirstName: "Augusta Ada", LastName: "King"}, At: now}},
		},
		{
			Name:  "clearing the last name carries both parts",
			Given: history(),
			When:  changeName("Ada", ""),
			Then:  []domain.Event{user.NameChanged{UserID: userID, PII: user.PII{FirstName: "Ada"}, At: now}},
		},
		{
			Name:  "same name after trimming changes nothing",
			Given: history(),
			When:  changeName(" Ada", "Lovelace "),
		},
		{
			Name:  "same name in another Unicode form changes nothing",
			Given: history(user.NameChanged{UserID: userID, PII: user.PII{FirstName: "Zo\u00eb"}, At: t0}),
			When:  changeName("Zoe\u0308", ""),
		},
		{
			Name:       "too long",
			Given:      history(),
			When:       changeName("Ada", strings.Repeat("é", user.MaxNameLength+1)),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"last_name:too_long"},
		},
		{
			Name:       "invalid UTF-8",
			Given:      history(),
			When:       changeName("Ad\xffa", ""),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"first_name:invalid"},
		},
		{
			Name:       "control characters",
			Given:      history(),
			When:       changeName("Ada\n", "Love\x00lace"),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"last_name:invalid"},
		},
		{
			Name:       "invisible formatting characters",
			Given:      history(),
			When:       changeName("Ze\u200bro", "\u202eecalevol"),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"first_name:invalid", "last_name:invalid"},
		},
		{
			Name:  "joiners stay: scripts need them",
			Given: history(),
			When:  changeName("می\u200cخواهم", "Love"),
			Then:  []domain.Event{user.NameChanged{UserID: userID, PII: user.PII{FirstName: "می\u200cخواهم", LastName: "Love"}, At: now}},
		},
	})
}

func TestChangeEmail(t *testing.T) {
	changeEmail := func(email string) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.ChangeEmail(email, now) }
	}
	run(t, []scenario{
		{
			Name:  "new email is normalized",
			Given: history(),
			When:  changeEmail(" Ada.King@Example.ORG "),
			Then:  []domain.Event{user.EmailChanged{UserID: userID, PII: user.PII{Email: "Ada.King@example.org"}, At: now}},
		},
		{
			Name:  "same email after normalization changes nothing",
			Given: history(),
			When:  changeEmail("  Ada@EXAMPLE.com"),
		},
		{
			Name:  "local part case is a change",
			Given: history(),
			When:  changeEmail("ada@example.com"),
			Then:  []domain.Event{user.EmailChanged{UserID: userID, PII: user.PII{Email: "ada@example.com"}, At: now}},
		},
		{
			Name:       "empty",
			Given:      history(),
			When:       changeEmail("  "),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"email:required"},
		},
		{
			Name:       "invalid",
			Given:      history(),
			When:       changeEmail("ada@localhost"),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"email:invalid"},
		},
	})
}

func TestChangeOrganization(t *testing.T) {
	changeOrg := func(org string) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.ChangeOrganization(org, now) }
	}
	run(t, []scenario{
		{
			Name:  "transfer names both organizations",
			Given: history(),
			When:  changeOrg("globex"),
			Then:  []domain.Event{user.OrganizationChanged{UserID: userID, OrgID: "globex", PreviousOrgID: "acme", At: now}},
		},
		{
			Name:  "leaving the organization",
			Given: history(),
			When:  changeOrg(""),
			Then:  []domain.Event{user.OrganizationChanged{UserID: userID, PreviousOrgID: "acme", At: now}},
		},
		{
			Name:  "a UUID is an organization ID",
			Given: history(),
			When:  changeOrg("0b5a4c1e-7d0e-4a55-9c1f-6f1a2b3c4d5e"),
			Then:  []domain.Event{user.OrganizationChanged{UserID: userID, OrgID: "0b5a4c1e-7d0e-4a55-9c1f-6f1a2b3c4d5e", PreviousOrgID: "acme", At: now}},
		},
		{
			Name:  "same organization changes nothing",
			Given: history(),
			When:  changeOrg(" acme "),
		},
		{
			Name:       "not an ID",
			Given:      history(),
			When:       changeOrg("Acme Corp"),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"org_id:invalid"},
		},
		{
			Name:       "too long",
			Given:      history(),
			When:       changeOrg(strings.Repeat("a", user.MaxOrgIDLength+1)),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"org_id:too_long"},
		},
	})
}

func TestSetPassword(t *testing.T) {
	run(t, []scenario{
		{
			Name:  "new hash",
			Given: history(),
			When:  func(u *user.User) ([]domain.Event, error) { return u.SetPassword(hashB, now) },
			Then:  []domain.Event{user.PasswordSet{UserID: userID, PII: user.PasswordPII{PasswordHash: hashB}, At: now}},
		},
		{
			Name:       "clear text is refused",
			Given:      history(),
			When:       func(u *user.User) ([]domain.Event, error) { return u.SetPassword("$argon2id$not really", now) },
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"password:invalid"},
		},
	})
}

func TestSetTemporaryPassword(t *testing.T) {
	u := load(t, history()...)
	events, err := u.SetTemporaryPassword(hashB, now)
	if err != nil || len(events) != 1 || !events[0].(user.PasswordSet).Temporary || !u.MustChangePassword() {
		t.Fatalf("temporary: %v %v must=%v", events, err, u.MustChangePassword())
	}
	if _, err := u.SetPassword(hashA, now); err != nil || u.MustChangePassword() {
		t.Fatalf("a password of the user's own clears it: %v must=%v", err, u.MustChangePassword())
	}
	if _, err := u.SetTemporaryPassword("clear text", now); err == nil {
		t.Fatal("a clear-text password was accepted as a hash")
	}
}
