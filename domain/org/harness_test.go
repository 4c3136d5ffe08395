package org_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/domaintest"
	"github.com/clarynext/usermgmt/domain/org"
)

// Fixtures shared by the scenarios.
var (
	teamA   = uuid.MustParse("7a000000-0000-4000-8000-00000000000a")
	teamB   = uuid.MustParse("7a000000-0000-4000-8000-00000000000b")
	teamC   = uuid.MustParse("7a000000-0000-4000-8000-00000000000c")
	t0      = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now     = t0.Add(24 * time.Hour)
	created = org.Created{OrgID: "acme", Name: "Acme Corp", At: t0}
	opsTeam = org.TeamCreated{OrgID: "acme", TeamID: teamA, Name: "Ops", At: t0}
	devTeam = org.TeamCreated{OrgID: "acme", TeamID: teamB, Name: "Dev", At: t0}
)

// history is the usual start: a created organization, followed by more
// events.
func history(more ...domain.Event) []domain.Event {
	return append([]domain.Event{created}, more...)
}

// scenario is one "given events, when command, then events or error" case.
type scenario = domaintest.Scenario[*org.Org]

func run(t *testing.T, scenarios []scenario) {
	t.Helper()
	domaintest.Run(t, org.Load, scenarios)
}

func load(t *testing.T, events ...domain.Event) *org.Org {
	t.Helper()
	return domaintest.Load(t, org.Load, events...)
}
