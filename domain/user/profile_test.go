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
			name:  "new name",
			given: history(),
			when:  changeName("Augusta Ada", "King"),
			then:  []domain.Event{user.NameChanged{UserID: userID, PII: user.PII{FirstName: "Augusta Ada", LastName: "King"}, At: now}},
		},
		{
			name:  "clearing the last name carries both parts",
			given: history(),
			when:  changeName("Ada", ""),
			then:  []domain.Event{user.NameChanged{UserID: userID, PII: user.PII{FirstName: "Ada"}, At: now}},
		},
		{
			name:  "same name after trimming changes nothing",
			given: history(),
			when:  changeName(" Ada", "Lovelace "),
		},
		{
			name:  "same name in another Unicode form changes nothing",
			given: history(user.NameChanged{UserID: userID, PII: user.PII{FirstName: "Zo\u00eb"}, At: t0}),
			when:  changeName("Zoe\u0308", ""),
		},
		{
			name:       "too long",
			given:      history(),
			when:       changeName("Ada", strings.Repeat("é", user.MaxNameLength+1)),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"last_name:too_long"},
		},
		{
			name:       "invalid UTF-8",
			given:      history(),
			when:       changeName("Ad\xffa", ""),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"first_name:invalid"},
		},
		{
			name:       "control characters",
			given:      history(),
			when:       changeName("Ada\n", "Love\x00lace"),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"last_name:invalid"},
		},
	})
}

func TestChangeEmail(t *testing.T) {
	changeEmail := func(email string) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.ChangeEmail(email, now) }
	}
	run(t, []scenario{
		{
			name:  "new email is normalized",
			given: history(),
			when:  changeEmail(" Ada.King@Example.ORG "),
			then:  []domain.Event{user.EmailChanged{UserID: userID, PII: user.PII{Email: "Ada.King@example.org"}, At: now}},
		},
		{
			name:  "same email after normalization changes nothing",
			given: history(),
			when:  changeEmail("  Ada@EXAMPLE.com"),
		},
		{
			name:  "local part case is a change",
			given: history(),
			when:  changeEmail("ada@example.com"),
			then:  []domain.Event{user.EmailChanged{UserID: userID, PII: user.PII{Email: "ada@example.com"}, At: now}},
		},
		{
			name:       "empty",
			given:      history(),
			when:       changeEmail("  "),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"email:required"},
		},
		{
			name:       "invalid",
			given:      history(),
			when:       changeEmail("ada@localhost"),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"email:invalid"},
		},
	})
}

func TestChangeOrganization(t *testing.T) {
	changeOrg := func(org string) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.ChangeOrganization(org, now) }
	}
	run(t, []scenario{
		{
			name:  "transfer names both organizations",
			given: history(),
			when:  changeOrg("globex"),
			then:  []domain.Event{user.OrganizationChanged{UserID: userID, OrgID: "globex", PreviousOrgID: "acme", At: now}},
		},
		{
			name:  "leaving the organization",
			given: history(),
			when:  changeOrg(""),
			then:  []domain.Event{user.OrganizationChanged{UserID: userID, PreviousOrgID: "acme", At: now}},
		},
		{
			name:  "a UUID is an organization ID",
			given: history(),
			when:  changeOrg("0b5a4c1e-7d0e-4a55-9c1f-6f1a2b3c4d5e"),
			then:  []domain.Event{user.OrganizationChanged{UserID: userID, OrgID: "0b5a4c1e-7d0e-4a55-9c1f-6f1a2b3c4d5e", PreviousOrgID: "acme", At: now}},
		},
		{
			name:  "same organization changes nothing",
			given: history(),
			when:  changeOrg(" acme "),
		},
		{
			name:       "not an ID",
			given:      history(),
			when:       changeOrg("Acme Corp"),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"org_id:invalid"},
		},
		{
			name:       "too long",
			given:      history(),
			when:       changeOrg(strings.Repeat("a", user.MaxOrgIDLength+1)),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"org_id:too_long"},
		},
	})
}

func TestSetPassword(t *testing.T) {
	run(t, []scenario{
		{
			name:  "new hash",
			given: history(),
			when:  func(u *user.User) ([]domain.Event, error) { return u.SetPassword(hashB, now) },
			then:  []domain.Event{user.PasswordSet{UserID: userID, PII: user.PasswordPII{PasswordHash: hashB}, At: now}},
		},
		{
			name:       "clear text is refused",
			given:      history(),
			when:       func(u *user.User) ([]domain.Event, error) { return u.SetPassword("$argon2id$not really", now) },
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"password:invalid"},
		},
	})
}
