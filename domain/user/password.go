package user

import (
	"strings"
	"time"

	"github.com/clarynext/usermgmt/domain"
)

// SetPassword records a new password, given as the argon2id PHC string the
// command layer computed (e.g. "$argon2id$v=19$m=65536,t=3,p=4$salt$hash").
// The domain never sees the clear-text password; it refuses anything that
// is not shaped like such a hash, so a clear-text password cannot slip into
// an event by mistake. Setting a password is always recorded, even when the
// hash equals the current one (a new salt makes that all but impossible
// anyway, and a reset is worth auditing).
func (u *User) SetPassword(hash string, now time.Time) ([]domain.Event, error) {
	if err := u.mustBeActivated(); err != nil {
		return nil, err
	}
	if err := checkPasswordHash(hash); err != nil {
		return nil, err
	}
	return u.record(PasswordSet{UserID: u.id, PII: PasswordPII{PasswordHash: hash}, At: eventTime(now)})
}

// SetTemporaryPassword is SetPassword for a password an admin chose: the
// user must change it at the next login (MustChangePassword).
func (u *User) SetTemporaryPassword(hash string, now time.Time) ([]domain.Event, error) {
	if err := u.mustBeActivated(); err != nil {
		return nil, err
	}
	if err := checkPasswordHash(hash); err != nil {
		return nil, err
	}
	return u.record(PasswordSet{UserID: u.id, PII: PasswordPII{PasswordHash: hash}, Temporary: true, At: eventTime(now)})
}

// mustBeActivated refuses a password for a user who chooses its own
// through an emailed link (invited, unverified): *domain.ConflictError
// "pending_activation". (Setting one would leave the user neither
// activated nor able to log in.)
func (u *User) mustBeActivated() error {
	if err := u.mustExist(); err != nil {
		return err
	}
	if u.status == StatusInvited || u.status == StatusUnverified ||
		u.status == StatusSuspended && u.resumeStatus != "" {
		return &domain.ConflictError{Field: "status", Code: "pending_activation",
			Message: "the user chooses its password through the emailed link (invitation or verification); resend it instead"}
	}
	return nil
}

// checkPasswordHash accepts the PHC string format of argon2id:
// $argon2id$v=<n>$m=<n>,t=<n>,p=<n>$<b64 salt>$<b64 hash>.
func checkPasswordHash(hash string) error {
	parts := strings.Split(hash, "$")
	ok := len(parts) == 6 &&
		parts[0] == "" &&
		parts[1] == "argon2id" &&
		strings.HasPrefix(parts[2], "v=") &&
		strings.HasPrefix(parts[3], "m=") && strings.Contains(parts[3], ",t=") && strings.Contains(parts[3], ",p=") &&
		isBase64(parts[4]) && isBase64(parts[5])
	if !ok {
		// Never echo the value: it might be a clear-text password.
		return domain.Invalid("password", domain.CodeInvalid, "must be an argon2id hash in PHC string format")
	}
	return nil
}

func isBase64(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '+' && c != '/' {
			return false
		}
	}
	return true
}
