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
			name:  "empty patch changes nothing",
			given: history(),
			when:  edit(user.Patch{}),
		},
		{
			name:  "patch with the current values changes nothing",
			given: history(suspended("spam")),
			when: edit(user.Patch{
				FirstName: ptr(" Ada"),
				LastName:  ptr("Lovelace"),
				Email:     ptr("Ada@EXAMPLE.com"),
				Roles:     ptr([]string{"member", "member"}),
				OrgID:     ptr("acme"),
				Status:    ptr(user.StatusSuspended),
			}),
		},
		{
			name:  "one name part keeps the other",
			given: history(),
			when:  edit(user.Patch{LastName: ptr("King")}),
			then:  []domain.Event{user.NameChanged{UserID: userID, PII: user.PII{FirstName: "Ada", LastName: "King"}, At: now}},
		},
		{
			name:  "every field changes, events in a fixed order",
			given: history(user.RolesAssigned{UserID: userID, Roles: []string{"expert"}, At: t0}),
			when: edit(user.Patch{
				FirstName:        ptr("Augusta"),
				Email:            ptr("augusta@example.org"),
				Roles:            ptr([]string{"author", "expert"}),
				OrgID:            ptr(""),
				Status:           ptr(user.StatusSuspended),
				SuspensionReason: "review",
			}),
			then: []domain.Event{
				user.NameChanged{UserID: userID, PII: user.PII{FirstName: "Augusta", LastName: "Lovelace"}, At: now},
				user.EmailChanged{UserID: userID, PII: user.PII{Email: "augusta@example.org"}, At: now},
				user.RolesUnassigned{UserID: userID, Roles: []string{"member"}, At: now},
				user.RolesAssigned{UserID: userID, Roles: []string{"author"}, At: now},
				user.OrganizationChanged{UserID: userID, PreviousOrgID: "acme", At: now},
				user.Suspended{UserID: userID, PII: user.SuspensionPII{Reason: "review"}, At: now},
			},
		},
		{
			name:  "empty role set removes every role",
			given: history(),
			when:  edit(user.Patch{Roles: ptr([]string{})}),
			then:  []domain.Event{user.RolesUnassigned{UserID: userID, Roles: []string{"member"}, At: now}},
		},
		{
			name:  "status active reactivates a suspended user",
			given: history(suspended("spam")),
			when:  edit(user.Patch{Status: ptr(user.StatusActive)}),
			then:  []domain.Event{user.Reactivated{UserID: userID, At: now}},
		},
		{
			name:  "status active on an active user is not a conflict",
			given: history(),
			when:  edit(user.Patch{Status: ptr(user.StatusActive)}),
		},
		{
			name:       "status deleted is not an edit",
			given:      history(),
			when:       edit(user.Patch{Status: ptr(user.StatusDeleted)}),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"status:invalid"},
		},
		{
			name:  "all or nothing: one bad field, no events",
			given: history(),
			when: edit(user.Patch{
				FirstName: ptr("Augusta"),
				Email:     ptr("augusta@"),
				Roles:     ptr([]string{"Expert"}),
				OrgID:     ptr("globex"),
			}),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"email:invalid", "roles:invalid"},
		},
	})
}
