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
			name: "with password: normalized input, created then password set",
			when: create(user.CreateInput{
				Email:        "  Ada.Lovelace@Example.COM ",
				FirstName:    " Ada ",
				LastName:     "Lovelace",
				Roles:        []string{"member", "expert", "member"},
				OrgID:        " acme ",
				PasswordHash: hashA,
			}),
			then: []domain.Event{
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
			name: "with invite and nothing optional",
			when: create(user.CreateInput{Email: "ada@example.com", SendInvite: true}),
			then: []domain.Event{
				user.Created{UserID: userID, PII: user.PII{Email: "ada@example.com"}, At: now},
				user.InviteRequested{UserID: userID, At: now},
			},
		},
		{
			name: "names are stored in NFC",
			when: create(user.CreateInput{Email: "jose@example.com", FirstName: "Jose\u0301", SendInvite: true}),
			then: []domain.Event{
				user.Created{UserID: userID, PII: user.PII{Email: "jose@example.com", FirstName: "Jos\u00e9"}, At: now},
				user.InviteRequested{UserID: userID, At: now},
			},
		},
		{
			name:       "missing email",
			when:       create(user.CreateInput{SendInvite: true}),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"email:required"},
		},
		{
			name:       "invalid email",
			when:       create(user.CreateInput{Email: "Ada <ada@example.com>", SendInvite: true}),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"email:invalid"},
		},
		{
			name:       "neither password nor invite",
			when:       create(user.CreateInput{Email: "ada@example.com"}),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"password:required"},
		},
		{
			name:       "both password and invite",
			when:       create(user.CreateInput{Email: "ada@example.com", PasswordHash: hashA, SendInvite: true}),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"send_invite:invalid"},
		},
		{
			name:       "clear-text password is refused",
			when:       create(user.CreateInput{Email: "ada@example.com", PasswordHash: "correct horse battery staple"}),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"password:invalid"},
		},
		{
			name:       "other hash algorithm is refused",
			when:       create(user.CreateInput{Email: "ada@example.com", PasswordHash: "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"}),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"password:invalid"},
		},
		{
			name: "every invalid field is reported at once",
			when: func(u *user.User) ([]domain.Event, error) {
				return u.Create(uuid.Nil, user.CreateInput{
					Email:     "not-an-email",
					FirstName: strings.Repeat("x", user.MaxNameLength+1),
					LastName:  "bad\x07bell",
					Roles:     []string{"Admin", "member"},
					OrgID:     "Acme Corp",
				}, now)
			},
			wantErr: domain.ErrInvalid,
			wantFields: []string{
				"id:required", "email:invalid", "first_name:too_long", "last_name:invalid",
				"roles:invalid", "org_id:invalid", "password:required",
			},
		},
		{
			name:       "create twice",
			given:      history(),
			when:       create(user.CreateInput{Email: "other@example.com", SendInvite: true}),
			wantErr:    domain.ErrConflict,
			wantFields: []string{":already_exists"},
		},
		{
			name:    "create again after deletion: IDs are never reused",
			given:   history(deleted(user.Anonymize)),
			when:    create(user.CreateInput{Email: "ada@example.com", SendInvite: true}),
			wantErr: domain.ErrConflict,
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
		{name: "change name", when: func(u *user.User) ([]domain.Event, error) { return u.ChangeName("A", "B", now) }, wantErr: user.ErrNoUser},
		{name: "suspend", when: func(u *user.User) ([]domain.Event, error) { return u.Suspend("", now) }, wantErr: domain.ErrNotFound},
		{name: "delete", when: func(u *user.User) ([]domain.Event, error) { return u.Delete(user.Soft, now) }, wantErr: domain.ErrNotFound},
		{name: "edit", when: func(u *user.User) ([]domain.Event, error) { return u.Edit(user.Patch{}, now) }, wantErr: domain.ErrNotFound},
	})
	if !errors.Is(user.ErrNoUser, domain.ErrNotFound) || !errors.Is(user.ErrDeleted, domain.ErrNotFound) {
		t.Fatal("ErrNoUser and ErrDeleted must match domain.ErrNotFound")
	}
}
