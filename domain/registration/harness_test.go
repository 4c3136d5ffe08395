package registration_test

import (
	"time"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/domaintest"
	"github.com/clarynext/usermgmt/domain/registration"
)

// Fixtures shared by the scenarios.
var now = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// one wraps events as a list.
func one(events ...domain.Event) []domain.Event { return events }

// changed is the event of setting s at now.
func changed(s registration.Settings) registration.SettingsChanged {
	return registration.SettingsChanged{Settings: s, At: now}
}

// scenario is one "given events, when command, then events or error" case.
type scenario = domaintest.Scenario[*registration.State]

// open is valid, normalized settings that use every feature.
func open() registration.Settings {
	return registration.Settings{
		Enabled:             true,
		RequireVerification: true,
		DefaultRoles:        []string{"member"},
		DefaultOrgID:        "public",
		DomainRules: []registration.DomainRule{
			{Domain: "example.com", OrgID: "acme", Roles: []string{"author", "member"}},
			{Domain: "eu.example.com", OrgID: "acme-eu"},
			{Domain: "partner.org", Roles: []string{"vendor"}},
		},
		Fields: []registration.Field{
			{Key: "company", Label: "Company", Type: registration.TypeString, Required: true, MaxLength: 80},
			{Key: "bio", Label: "About you", Type: registration.TypeString},
			{Key: "seats", Label: "Seats", Type: registration.TypeNumber},
			{Key: "newsletter", Label: "Newsletter", Type: registration.TypeBoolean},
			{Key: "born_on", Label: "Date of birth", Type: registration.TypeDate, Required: true},
		},
	}
}

type otherEvent struct{}

func (otherEvent) EventType() string { return "other.thing_happened.v1" }
