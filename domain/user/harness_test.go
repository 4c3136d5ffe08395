package user_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/domaintest"
	"github.com/clarynext/usermgmt/domain/user"
)

// Fixtures shared by the scenarios.
var (
	userID   = uuid.MustParse("6f1c1d2e-0000-4000-8000-000000000001")
	adminID  = uuid.MustParse("6f1c1d2e-0000-4000-8000-0000000000ad")
	noteID   = uuid.MustParse("6f1c1d2e-0000-4000-8000-00000000000e")
	t0       = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now      = t0.Add(24 * time.Hour)
	hashA    = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"
	hashB    = "$argon2id$v=19$m=65536,t=3,p=4$b3RoZXJzYWx0$b3RoZXJoYXNob3RoZXJoYXNo"
	created  = user.Created{UserID: userID, PII: user.PII{Email: "Ada@example.com", FirstName: "Ada", LastName: "Lovelace"}, Roles: []string{"member"}, OrgID: "acme", At: t0}
	password = user.PasswordSet{UserID: userID, PII: user.PasswordPII{PasswordHash: hashA}, At: t0}
	// invite is a link token as the command layer mints it: Hash is the
	// SHA-256 of "secret-a", hashOther of "secret-b".
	invite    = user.Token{ID: uuid.MustParse("6f1c1d2e-0000-4000-8000-0000000000a1"), Hash: sha("secret-a"), ExpiresAt: now.Add(7 * 24 * time.Hour)}
	hashOther = sha("secret-b")
)

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// history is the usual start: a created user with a password, followed by
// more events.
func history(more ...domain.Event) []domain.Event {
	return append([]domain.Event{created, password}, more...)
}

func suspended(reason string) user.Suspended {
	return user.Suspended{UserID: userID, PII: user.SuspensionPII{Reason: reason}, At: t0}
}

func deleted(h user.DataHandling) user.Deleted {
	return user.Deleted{UserID: userID, DataHandling: h, At: t0}
}

func ptr[T any](v T) *T { return &v }

// scenario is one "given events, when command, then events or error" case.
type scenario = domaintest.Scenario[*user.User]

func run(t *testing.T, scenarios []scenario) {
	t.Helper()
	domaintest.Run(t, user.Load, scenarios)
}

func load(t *testing.T, events ...domain.Event) *user.User {
	t.Helper()
	return domaintest.Load(t, user.Load, events...)
}
