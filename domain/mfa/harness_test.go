package mfa_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/domaintest"
	"github.com/clarynext/usermgmt/domain/mfa"
)

// Fixtures shared by the scenarios.
var (
	userID = uuid.MustParse("6f1c1d2e-0000-4000-8000-0000000000f1")
	now    = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	hashes = []string{"$argon2id$h0", "$argon2id$h1", "$argon2id$h2"}
)

// step is the 30 s time step of now.
var step = now.Unix() / 30

func started(secret string) mfa.TOTPEnrollmentStarted {
	return mfa.TOTPEnrollmentStarted{UserID: userID, SealedSecret: secret, At: now}
}

func enrolled() mfa.TOTPEnrolled {
	return mfa.TOTPEnrolled{UserID: userID, RecoveryCodeHashes: hashes, At: now}
}

func codeUsed(s int64) mfa.TOTPCodeUsed { return mfa.TOTPCodeUsed{UserID: userID, Step: s, At: now} }

func recoveryUsed(i int) mfa.RecoveryCodeUsed {
	return mfa.RecoveryCodeUsed{UserID: userID, Index: i, At: now}
}

func reset() mfa.Reset { return mfa.Reset{UserID: userID, At: now} }

// enrolledAt is the history of a user enrolled with a code of step s.
func enrolledAt(s int64) []domain.Event {
	return one(started("sealed-1"), enrolled(), codeUsed(s))
}

// one wraps events as a list.
func one(events ...domain.Event) []domain.Event { return events }

type scenario = domaintest.Scenario[*mfa.TOTP]

func run(t *testing.T, scenarios []scenario) {
	t.Helper()
	domaintest.Run(t, loadTOTP, scenarios)
}

func load(t *testing.T, events ...domain.Event) *mfa.TOTP {
	t.Helper()
	return domaintest.Load(t, loadTOTP, events...)
}

func loadTOTP(events ...domain.Event) (*mfa.TOTP, error) { return mfa.Load(userID, events...) }
