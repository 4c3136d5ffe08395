package user_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
)

func TestDelete(t *testing.T) {
	del := func(h user.DataHandling) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.Delete(h, now) }
	}
	run(t, []scenario{
		{
			Name:  "soft",
			Given: history(),
			When:  del(user.Soft),
			Then:  []domain.Event{user.Deleted{UserID: userID, DataHandling: user.Soft, At: now}},
		},
		{
			Name:  "anonymize",
			Given: history(),
			When:  del(user.Anonymize),
			Then:  []domain.Event{user.Deleted{UserID: userID, DataHandling: user.Anonymize, At: now}},
		},
		{
			Name:  "a suspended user can be deleted",
			Given: history(suspended("spam")),
			When:  del(user.Soft),
			Then:  []domain.Event{user.Deleted{UserID: userID, DataHandling: user.Soft, At: now}},
		},
		{
			Name:  "a soft-deleted user can still be anonymized (erasure request)",
			Given: history(deleted(user.Soft)),
			When:  del(user.Anonymize),
			Then:  []domain.Event{user.Deleted{UserID: userID, DataHandling: user.Anonymize, At: now}},
		},
		{
			Name:    "soft delete twice",
			Given:   history(deleted(user.Soft)),
			When:    del(user.Soft),
			WantErr: user.ErrDeleted,
		},
		{
			Name:    "anonymize twice",
			Given:   history(deleted(user.Anonymize)),
			When:    del(user.Anonymize),
			WantErr: user.ErrDeleted,
		},
		{
			Name:    "anonymized cannot go back to soft",
			Given:   history(deleted(user.Anonymize)),
			When:    del(user.Soft),
			WantErr: domain.ErrNotFound,
		},
		{
			Name:    "deleted user, unknown data handling",
			Given:   history(deleted(user.Soft)),
			When:    del("shred"),
			WantErr: user.ErrDeleted,
		},
		{
			Name:       "unknown data handling",
			Given:      history(),
			When:       del("shred"),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"data_handling:invalid"},
		},
	})
}

// Deleted is final: every command on a deleted user fails with ErrDeleted,
// whatever the data handling, even one that would change nothing.
func TestCommandsOnDeletedUser(t *testing.T) {
	commands := map[string]func(*user.User) ([]domain.Event, error){
		"change name":    func(u *user.User) ([]domain.Event, error) { return u.ChangeName("Ada", "Lovelace", now) },
		"change email":   func(u *user.User) ([]domain.Event, error) { return u.ChangeEmail("new@example.com", now) },
		"assign roles":   func(u *user.User) ([]domain.Event, error) { return u.AssignRoles([]string{"expert"}, now) },
		"unassign roles": func(u *user.User) ([]domain.Event, error) { return u.UnassignRoles([]string{"member"}, now) },
		"change org":     func(u *user.User) ([]domain.Event, error) { return u.ChangeOrganization("globex", now) },
		"suspend":        func(u *user.User) ([]domain.Event, error) { return u.Suspend("", now) },
		"reactivate":     func(u *user.User) ([]domain.Event, error) { return u.Reactivate(now) },
		"set password":   func(u *user.User) ([]domain.Event, error) { return u.SetPassword(hashB, now) },
		"empty edit":     func(u *user.User) ([]domain.Event, error) { return u.Edit(user.Patch{}, now) },
		"add note": func(u *user.User) ([]domain.Event, error) {
			return u.AddNote(uuid.New(), adminID, "hello", now)
		},
	}
	var scenarios []scenario
	for _, h := range []user.DataHandling{user.Soft, user.Anonymize} {
		for name, cmd := range commands {
			scenarios = append(scenarios, scenario{
				Name:    string(h) + "/" + name,
				Given:   history(suspended("spam"), deleted(h)),
				When:    cmd,
				WantErr: user.ErrDeleted,
			})
		}
	}
	run(t, scenarios)
}

func TestDeletedState(t *testing.T) {
	soft := load(t, history(deleted(user.Soft))...)
	if !soft.Deleted() || soft.Status() != user.StatusDeleted || soft.DataHandling() != user.Soft {
		t.Fatalf("soft: deleted %v status %q handling %q", soft.Deleted(), soft.Status(), soft.DataHandling())
	}
	if soft.Email() != "Ada@example.com" || soft.FirstName() != "Ada" {
		t.Fatal("soft deletion must keep the person's data")
	}

	anon := load(t, history(deleted(user.Soft), deleted(user.Anonymize))...)
	if !anon.Deleted() || anon.DataHandling() != user.Anonymize {
		t.Fatalf("anonymized: deleted %v handling %q", anon.Deleted(), anon.DataHandling())
	}
	if anon.Email() != "" || anon.FirstName() != "" || anon.LastName() != "" || anon.PasswordHash() != "" {
		t.Fatal("anonymization must drop the person's data from the aggregate")
	}
	if anon.ID() != userID || !anon.Exists() || !anon.HasRole("member") || anon.OrgID() != "acme" {
		t.Fatal("anonymization must keep ID, roles and organization")
	}
}
