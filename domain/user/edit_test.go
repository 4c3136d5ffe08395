package user_test

import (
	"testing"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
)

func TestEdit(t *testing.T) {
	edit := func(p user.Patch) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.Edit(p, now) }
	}
	run(t, []scenario{
		{
			Name:  "empty patch changes nothing",
			Given: history(),
			When:  edit(user.Patch{}),
		},
		{
			Name:  "patch with the current values changes nothing",
			Given: history(suspended("spam")),
			When: edit(user.Patch{
				FirstName: ptr(" Ada"),
				LastName:  ptr("Lovelace"),
				Email:     ptr("Ada@EXAMPLE.com"),
				Roles:     ptr([]string{"member", "member"}),
				OrgID:     ptr("acme"),
				Status:    ptr(user.StatusSuspended),
			}),
		},
		{
			Name:  "one name part keeps the other",
			Given: history(),
			When:  edit(user.Patch{LastName: ptr("King")}),
			Then:  []domain.Event{user.NameChanged{UserID: userID, PII: user.PII{FirstName: "Ada", LastName: "King"}, At: now}},
		},
		{
			Name:  "every field changes, events in a fixed order",
			Given: history(user.RolesAssigned{UserID: userID, Roles: []string{"expert"}, At: t0}),
			When: edit(user.Patch{
				FirstName:        ptr("Augusta"),
				Email:            ptr("augusta@example.org"),
				Roles:            ptr([]string{"author", "expert"}),
				OrgID:            ptr(""),
				Status:           ptr(user.StatusSuspended),
				SuspensionReason: "review",
			}),
			Then: []domain.Event{
				user.NameChanged{UserID: userID, PII: user.PII{FirstName: "Augusta", LastName: "Lovelace"}, At: now},
				user.EmailChanged{UserID: userID, PII: user.PII{Email: "augusta@example.org"}, At: now},
				user.RolesUnassigned{UserID: userID, Roles: []string{"member"}, At: now},
				user.RolesAssigned{UserID: userID, Roles: []string{"author"}, At: now},
				user.OrganizationChanged{UserID: userID, PreviousOrgID: "acme", At: now},
				user.Suspended{UserID: userID, PII: user.SuspensionPII{Reason: "review"}, At: now},
			},
		},
		{
			Name:  "empty role set removes every role",
			Given: history(),
			When:  edit(user.Patch{Roles: ptr([]string{})}),
			Then:  []domain.Event{user.RolesUnassigned{UserID: userID, Roles: []string{"member"}, At: now}},
		},
		{
			Name:  "status active reactivates a suspended user",
			Given: history(suspended("spam")),
			When:  edit(user.Patch{Status: ptr(user.StatusActive)}),
			Then:  []domain.Event{user.Reactivated{UserID: userID, At: now}},
		},
		{
			Name:  "status active on an active user is not a conflict",
			Given: history(),
			When:  edit(user.Patch{Status: ptr(user.StatusActive)}),
		},
		{
			Name:  "resubmitting a suspension with its reason changes nothing",
			Given: history(suspended("spam")),
			When:  edit(user.Patch{Status: ptr(user.StatusSuspended), SuspensionReason: " spam "}),
		},
		{
			Name:       "another reason for a standing suspension is a conflict",
			Given:      history(suspended("spam")),
			When:       edit(user.Patch{Status: ptr(user.StatusSuspended), SuspensionReason: "fraud"}),
			WantErr:    domain.ErrConflict,
			WantFields: []string{"suspension_reason:already_suspended"},
		},
		{
			Name:       "a reason without status suspended is invalid",
			Given:      history(),
			When:       edit(user.Patch{SuspensionReason: "why"}),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"suspension_reason:invalid"},
		},
		{
			Name:       "a reason with status active is invalid",
			Given:      history(suspended("spam")),
			When:       edit(user.Patch{Status: ptr(user.StatusActive), SuspensionReason: "why"}),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"suspension_reason:invalid"},
		},
		{
			Name:       "status deleted is not an edit",
			Given:      history(),
			When:       edit(user.Patch{Status: ptr(user.StatusDeleted)}),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"status:invalid"},
		},
		{
			Name:  "all or nothing: one bad field, no events",
			Given: history(),
			When: edit(user.Patch{
				FirstName: ptr("Augusta"),
				Email:     ptr("augusta@"),
				Roles:     ptr([]string{"Expert"}),
				OrgID:     ptr("globex"),
			}),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"email:invalid", "roles:invalid"},
		},
	})
}
