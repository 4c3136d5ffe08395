package user_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
)

func create(in user.CreateInput) func(*user.User) ([]domain.Event, error) {
	return func(u *user.User) ([]domain.Event, error) { return u.Create(userID, in, now) }
}

func TestCreate(t *testing.T) {
	run(t, []scenario{
		{
			Name: "with password: normalized input, created then password set",
			When: create(user.CreateInput{
				Email:        "  Ada.Lovelace@Example.COM ",
				FirstName:    " Ada ",
				LastName:     "Lovelace",
				Roles:        []string{"member", "expert", "member"},
				OrgID:        " acme ",
				PasswordHash: hashA,
			}),
			Then: []domain.Event{
				user.Created{
					UserID: userID,
					PII:    user.PII{Email: "Ada.Lovelace@example.com", FirstName: "Ada", LastName: "Lovelace"},
					Roles:  []string{"expert", "member"},
					OrgID:  "acme",
					At:     now,
				},
				user.PasswordSet{UserID: userID, PII: user.PasswordPII{PasswordHash: hashA}, At: now},
			},
		},
		{
			Name: "with invite and nothing optional",
			When: create(user.CreateInput{Email: "ada@example.com", SendInvite: true, Invitation: invite}),
			Then: []domain.Event{
				user.Created{UserID: userID, PII: user.PII{Email: "ada@example.com"}, Status: user.StatusInvited, At: now},
				user.InvitationSent{UserID: userID, Token: invite, At: now},
			},
		},
		{
			Name: "names are stored in NFC",
			When: create(user.CreateInput{Email: "jose@example.com", FirstName: "Jose\u0301", SendInvite: true, Invitation: invite}),
			Then: []domain.Event{
				user.Created{UserID: userID, PII: user.PII{Email: "jose@example.com", FirstName: "Jos\u00e9"}, Status: user.StatusInvited, At: now},
				user.InvitationSent{UserID: userID, Token: invite, At: now},
			},
		},
		{
			Name:       "missing email",
			When:       create(user.CreateInput{SendInvite: true, Invitation: invite}),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"email:required"},
		},
		{
			Name:       "invalid email",
			When:       create(user.CreateInput{Email: "Ada <ada@example.com>", SendInvite: true, Invitation: invite}),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"email:invalid"},
		},
		{
			Name:       "neither password nor invite",
			When:       create(user.CreateInput{Email: "ada@example.com"}),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"password:required"},
		},
		{
			Name:       "both password and invite",
			When:       create(user.CreateInput{Email: "ada@example.com", PasswordHash: hashA, SendInvite: true, Invitation: invite}),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"send_invite:invalid"},
		},
		{
			Name:       "clear-text password is refused",
			When:       create(user.CreateInput{Email: "ada@example.com", PasswordHash: "correct horse battery staple"}),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"password:invalid"},
		},
		{
			Name:       "other hash algorithm is refused",
			When:       create(user.CreateInput{Email: "ada@example.com", PasswordHash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"password:invalid"},
		},
		{
			Name: "every invalid field is reported at once",
			When: func(u *user.User) ([]domain.Event, error) {
				return u.Create(uuid.Nil, user.CreateInput{
					Email:     "not-an-email",
					FirstName: strings.Repeat("x", user.MaxNameLength+1),
					LastName:  "bad\x07bell",
					Roles:     []string{"Admin", "member"},
					OrgID:     "Acme Corp",
				}, now)
			},
			WantErr: domain.ErrInvalid,
			WantFields: []string{
				"id:required", "email:invalid", "first_name:too_long", "last_name:invalid",
				"roles:invalid", "org_id:invalid", "password:required",
			},
		},
		{
			Name:       "create twice",
			Given:      history(),
			When:       create(user.CreateInput{Email: "other@example.com", SendInvite: true, Invitation: invite}),
			WantErr:    domain.ErrConflict,
			WantFields: []string{":already_exists"},
		},
		{
			Name:    "create again after deletion: IDs are never reused",
			Given:   history(deleted(user.Anonymize)),
			When:    create(user.CreateInput{Email: "ada@example.com", SendInvite: true, Invitation: invite}),
			WantErr: domain.ErrConflict,
		},
	})
}

func TestCreateErrorDoesNotEchoPassword(t *testing.T) {
	var u user.User
	_, err := u.Create(userID, user.CreateInput{Email: "ada@example.com", PasswordHash: "hunter2-secret"}, now)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error = %v, want a validation error without the password", err)
	}
}

func TestCommandsBeforeCreate(t *testing.T) {
	run(t, []scenario{
		{Name: "change name", When: func(u *user.User) ([]domain.Event, error) { return u.ChangeName("A", "B", now) }, WantErr: user.ErrNoUser},
		{Name: "suspend", When: func(u *user.User) ([]domain.Event, error) { return u.Suspend("", now) }, WantErr: domain.ErrNotFound},
		{Name: "delete", When: func(u *user.User) ([]domain.Event, error) { return u.Delete(user.Soft, now) }, WantErr: domain.ErrNotFound},
		{Name: "edit", When: func(u *user.User) ([]domain.Event, error) { return u.Edit(user.Patch{}, now) }, WantErr: domain.ErrNotFound},
	})
	if !errors.Is(user.ErrNoUser, domain.ErrNotFound) || !errors.Is(user.ErrDeleted, domain.ErrNotFound) {
		t.Fatal("ErrNoUser and ErrDeleted must match domain.ErrNotFound")
	}
}
