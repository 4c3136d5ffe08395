package commands

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/mfa"
	"github.com/clarynext/usermgmt/infra/crypto/sealbox"
)

// The TOTP parameters: those every authenticator app supports (RFC 6238
// defaults).
const (
	totpPeriod = 30 // seconds per time step
	totpDigits = otp.DigitsSix
	totpAlgo   = otp.AlgorithmSHA1
	// totpSkew is how many steps before and after the current one a code
	// may be from, for clocks that drift and users who type slowly.
	totpSkew = 1
	// qrSize is the width and height of the enrolment QR code in pixels.
	qrSize = 200
)

// Recovery codes: RecoveryCodeCount of them per enrolment, each
// recoveryCodeLength base32 characters (50 bits) shown in two groups,
// "ABCDE-FGHIJ".
const (
	RecoveryCodeCount  = 10
	recoveryCodeLength = 10
)

// ErrInvalidSecondFactor is the one error of a refused second factor: a
// wrong code, a code of a step already used or older, a recovery code
// that is wrong or used. The login layer counts it toward the lockout and
// tells the user nothing more.
var ErrInvalidSecondFactor = errors.New("invalid second factor")

// SecretHasher hashes recovery codes and checks them against their hashes.
// infra/crypto/password.Hasher is one.
type SecretHasher interface {
	Hash(ctx context.Context, secret string) (string, error)
	Verify(ctx context.Context, secret, hash string) (bool, error)
}

// MFAConfig configures the second-factor command handlers.
type MFAConfig struct {
	Store EventStore
	// Box seals TOTP secrets before they enter events.
	Box *sealbox.Box
	// Issuer names the service in authenticator apps ("ClaryNext").
	Issuer string
	// Hasher hashes the recovery codes (argon2id).
	Hasher SecretHasher
	// Now defaults to the clock.
	Now func() time.Time
	// Retries bounds the re-load-and-decide rounds after a concurrent write
	// to the same stream (default 10).
	Retries int
}

func (c *MFAConfig) setDefaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Retries <= 0 {
		c.Retries = 10
	}
}

// MFA handles TOTP enrolment, second-factor checks and the admin's reset,
// on the streams "mfa-{userID}". It is safe for concurrent use.
//
// It does not check that the user exists or may log in: the login flow and
// the HTTP layer that call it do.
type MFA struct {
	s       streams
	box     *sealbox.Box
	issuer  string
	hasher  SecretHasher
	retries int
}

// NewMFA returns the second-factor command handlers.
func NewMFA(cfg MFAConfig) (*MFA, error) {
	cfg.setDefaults()
	var errs []error
	if cfg.Store == nil {
		errs = append(errs, errors.New("no event store"))
	}
	if cfg.Box == nil {
		errs = append(errs, errors.New("no sealing box"))
	}
	if cfg.Hasher == nil {
		errs = append(errs, errors.New("no recovery code hasher"))
	}
	if strings.TrimSpace(cfg.Issuer) == "" {
		errs = append(errs, errors.New("no TOTP issuer"))
	}
	codec, err := domain.NewCodec(append(mfa.Registrations(), mfa.PolicyRegistrations()...)...)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("commands: %w", err)
	}
	return &MFA{
		s:       streams{store: cfg.Store, codec: codec, now: cfg.Now},
		box:     cfg.Box,
		issuer:  cfg.Issuer,
		hasher:  cfg.Hasher,
		retries: cfg.Retries,
	}, nil
}

// Enrollment is what StartTOTP shows the user once: the secret, as base32
// for typing and as an otpauth:// URI and its QR code for scanning. None of
// it is stored in clear.
type Enrollment struct {
	Secret string // base32
	URI    string // otpauth://totp/...
	QRPNG  []byte // the URI as a QR code, PNG
}

// StartTOTP starts (or restarts) the TOTP enrolment of a user who has no
// confirmed authenticator: it generates a secret and records it sealed,
// bound to the user. accountName is the label the authenticator app shows
// next to the issuer, usually the user's email.
func (m *MFA) StartTOTP(ctx context.Context, md Metadata, userID uuid.UUID, accountName string) (Enrollment, error) {
	accountName = strings.TrimSpace(accountName)
	if accountName == "" {
		return Enrollment{}, domain.Invalid("account_name", domain.CodeRequired, "an account name is required")
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: m.issuer, AccountName: accountName,
		Period: totpPeriod, Digits: totpDigits, Algorithm: totpAlgo,
	})
	if err != nil {
		return Enrollment{}, fmt.Errorf("start TOTP for user %s: generate secret: %w", userID, err)
	}
	sealed, err := m.box.Seal([]byte(key.Secret()), secretBinding(userID))
	if err != nil {
		return Enrollment{}, fmt.Errorf("start TOTP for user %s: %w", userID, err)
	}
	img, err := key.Image(qrSize, qrSize)
	if err != nil {
		return Enrollment{}, fmt.Errorf("start TOTP for user %s: QR code: %w", userID, err)
	}
	var qr bytes.Buffer
	if err := png.Encode(&qr, img); err != nil {
		return Enrollment{}, fmt.Errorf("start TOTP for user %s: QR code: %w", userID, err)
	}
	_, err = m.decide(ctx, md, userID, "start TOTP", func(t *mfa.TOTP) ([]domain.Event, error) {
		return t.StartEnrollment(sealed, m.s.now())
	})
	if err != nil {
		return Enrollment{}, err
	}
	return Enrollment{Secret: key.Secret(), URI: key.URL(), QRPNG: qr.Bytes()}, nil
}

// ConfirmTOTP completes a pending enrolment with a code from the user's
// authenticator. A wrong code is a *domain.ValidationError on "code"; with
// no pending enrolment the error is mfa.ErrNoPendingEnrollment. On success
// the user is enrolled and gets RecoveryCodeCount recovery codes, returned
// here once and stored only as hashes.
func (m *MFA) ConfirmTOTP(ctx context.Context, md Metadata, userID uuid.UUID, code string) ([]string, error) {
	t, err := m.load(ctx, userID)
	if err != nil {
		return nil, err
	}
	if !t.Pending() {
		return nil, fmt.Errorf("confirm TOTP for user %s: %w", userID, mfa.ErrNoPendingEnrollment)
	}
	sealed := t.SealedSecret()
	step, ok, err := m.matchCode(userID, sealed, code)
	if err != nil {
		return nil, fmt.Errorf("confirm TOTP for user %s: %w", userID, err)
	}
	if !ok {
		return nil, domain.Invalid("code", domain.CodeInvalid, "the code does not match the authenticator")
	}
	codes, hashes, err := m.recoveryCodes(ctx)
	if err != nil {
		return nil, fmt.Errorf("confirm TOTP for user %s: %w", userID, err)
	}
	_, err = m.decide(ctx, md, userID, "confirm TOTP", func(t *mfa.TOTP) ([]domain.Event, error) {
		if t.Pending() && t.SealedSecret() != sealed {
			return nil, &domain.ConflictError{Code: "totp_enrollment_restarted", Message: "the enrolment was restarted; scan the new QR code"}
		}
		return t.Confirm(step, hashes, m.s.now())
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// VerifySecondFactor checks the second factor of an enrolled user's login
// and records its use: a 6-digit TOTP code of the current time step or
// one step either side, newer than the last code used; or an unused
// recovery code. Every refusal is ErrInvalidSecondFactor. A user who is
// not enrolled gets mfa.ErrNotEnrolled: the login flow asks enrolled users
// only.
func (m *MFA) VerifySecondFactor(ctx context.Context, md Metadata, userID uuid.UUID, code string) error {
	t, err := m.load(ctx, userID)
	if err != nil {
		return err
	}
	if !t.Enrolled() {
		return fmt.Errorf("verify second factor of user %s: %w", userID, mfa.ErrNotEnrolled)
	}
	sealed := t.SealedSecret()
	code = normalizeCode(code)
	var use func(*mfa.TOTP) ([]domain.Event, error)
	switch {
	case isTOTPCode(code):
		step, ok, err := m.matchCode(userID, sealed, code)
		if err != nil {
			return fmt.Errorf("verify second factor of user %s: %w", userID, err)
		}
		if !ok {
			return ErrInvalidSecondFactor
		}
		use = func(t *mfa.TOTP) ([]domain.Event, error) { return t.UseCode(step, m.s.now()) }
	case isRecoveryCode(code):
		index, err := m.matchRecoveryCode(ctx, t, code)
		if err != nil {
			return fmt.Errorf("verify second factor of user %s: %w", userID, err)
		}
		if index < 0 {
			return ErrInvalidSecondFactor
		}
		use = func(t *mfa.TOTP) ([]domain.Event, error) { return t.UseRecoveryCode(index, m.s.now()) }
	default:
		return ErrInvalidSecondFactor
	}
	_, err = m.decide(ctx, md, userID, "verify second factor", func(t *mfa.TOTP) ([]domain.Event, error) {
		// A reset, and maybe a new enrolment, between the check and now
		// makes the checked code worthless.
		if !t.Enrolled() || t.SealedSecret() != sealed {
			return nil, ErrInvalidSecondFactor
		}
		return use(t)
	})
	switch {
	case errors.Is(err, mfa.ErrCodeReplayed), errors.Is(err, mfa.ErrRecoveryCodeUsed), errors.Is(err, ErrInvalidSecondFactor):
		return ErrInvalidSecondFactor
	case err != nil:
		return err
	}
	return nil
}

// ResetTOTP removes the user's second factor, enrolled or pending (the
// admin's "reset 2FA"). With none, nothing is appended.
func (m *MFA) ResetTOTP(ctx context.Context, md Metadata, userID uuid.UUID) (Result, error) {
	return m.decide(ctx, md, userID, "reset TOTP", func(t *mfa.TOTP) ([]domain.Event, error) {
		return t.Reset(m.s.now()), nil
	})
}

// Status reports whether the user has a confirmed authenticator, so that
// a login needs a second factor.
func (m *MFA) Status(ctx context.Context, userID uuid.UUID) (enrolled bool, err error) {
	t, err := m.load(ctx, userID)
	if err != nil {
		return false, err
	}
	return t.Enrolled(), nil
}

// load folds the user's mfa stream.
func (m *MFA) load(ctx context.Context, userID uuid.UUID) (*mfa.TOTP, error) {
	t, _, err := m.loadAt(ctx, userID)
	return t, err
}

// loadAt folds the user's mfa stream and gives its revision.
func (m *MFA) loadAt(ctx context.Context, userID uuid.UUID) (*mfa.TOTP, int64, error) {
	return loadFolded(ctx, m.s, mfa.Stream(userID), func(events ...domain.Event) (*mfa.TOTP, error) {
		return mfa.Load(userID, events...)
	}, "load second factor of user %s", userID)
}

// decide runs one command on the user's mfa stream (see retryDecide).
func (m *MFA) decide(ctx context.Context, md Metadata, userID uuid.UUID, op string, decide func(*mfa.TOTP) ([]domain.Event, error)) (Result, error) {
	res, err := retryDecide(ctx, m.s, md, decision[*mfa.TOTP]{
		stream:  mfa.Stream(userID),
		what:    "the second factor",
		retries: m.retries,
		load: func(ctx context.Context) (*mfa.TOTP, int64, error) {
			return m.loadAt(ctx, userID)
		},
		decide: decide,
		op:     op,
	})
	if err != nil {
		return Result{}, fmt.Errorf("%s for user %s: %w", op, userID, err)
	}
	res.ID = userID
	return res, nil
}

// Policy returns the two-factor policy and its stream revision
// (NoRevision while the default applies).
func (m *MFA) Policy(ctx context.Context) (mfa.Policy, int64, error) {
	s, rev, err := loadFolded(ctx, m.s, mfa.PolicyStream, mfa.LoadPolicy, "load two-factor policy")
	if err != nil {
		return mfa.Policy{}, 0, err
	}
	return s.Current(), rev, nil
}

// SetPolicy changes the two-factor policy.
func (m *MFA) SetPolicy(ctx context.Context, md Metadata, ifMatch *uint64, p mfa.Policy) (Result, error) {
	return retryDecide(ctx, m.s, md, decision[*mfa.PolicySettings]{
		stream: mfa.PolicyStream, what: "the two-factor policy", ifMatch: ifMatch, retries: m.retries,
		load: func(ctx context.Context) (*mfa.PolicySettings, int64, error) {
			return loadFolded(ctx, m.s, mfa.PolicyStream, mfa.LoadPolicy, "load two-factor policy")
		},
		decide: func(s *mfa.PolicySettings) ([]domain.Event, error) { return s.Set(p, m.s.now()), nil },
		op:     "set two-factor policy",
	})
}

// secretBinding is the additional data a user's TOTP secret is sealed
// with: a secret copied into another user's stream does not open there.
func secretBinding(userID uuid.UUID) []byte { return []byte("totp:" + userID.String()) }

// matchCode opens the sealed secret and finds the time step, within the
// skew around now, whose code is code. With several (a code collision),
// the newest wins, since only a step newer than the last used one is
// accepted.
func (m *MFA) matchCode(userID uuid.UUID, sealed, code string) (step int64, ok bool, err error) {
	code = normalizeCode(code)
	if !isTOTPCode(code) {
		return 0, false, nil
	}
	secret, err := m.box.Open(sealed, secretBinding(userID))
	if err != nil {
		return 0, false, fmt.Errorf("open the TOTP secret: %w", err)
	}
	now := m.s.now().Unix() / totpPeriod
	for s := now + totpSkew; s >= now-totpSkew; s-- {
		if s < 0 {
			break
		}
		want, err := hotp.GenerateCodeCustom(string(secret), uint64(s), hotp.ValidateOpts{Digits: totpDigits, Algorithm: totpAlgo})
		if err != nil {
			return 0, false, fmt.Errorf("TOTP code: %w", err)
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true, nil
		}
	}
	return 0, false, nil
}

// matchRecoveryCode returns the index of the unused recovery code that
// code is, or -1.
func (m *MFA) matchRecoveryCode(ctx context.Context, t *mfa.TOTP, code string) (int, error) {
	for i, h := range t.RecoveryCodeHashes() {
		if t.Used(i) {
			continue
		}
		ok, err := m.hasher.Verify(ctx, code, h)
		if err != nil {
			return 0, fmt.Errorf("check recovery code %d: %w", i, err)
		}
		if ok {
			return i, nil
		}
	}
	return -1, nil
}

// recoveryCodes generates RecoveryCodeCount recovery codes, as shown to the
// user, and the hashes of their normal forms.
func (m *MFA) recoveryCodes(ctx context.Context) (codes, hashes []string, err error) {
	for range RecoveryCodeCount {
		c := rand.Text()[:recoveryCodeLength] // base32, uniform
		h, err := m.hasher.Hash(ctx, c)
		if err != nil {
			return nil, nil, fmt.Errorf("hash recovery code: %w", err)
		}
		codes = append(codes, c[:recoveryCodeLength/2]+"-"+c[recoveryCodeLength/2:])
		hashes = append(hashes, h)
	}
	return codes, hashes, nil
}

// normalizeCode is a typed code without spaces and dashes, upper case.
func normalizeCode(code string) string {
	return strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(code))
}

// isTOTPCode reports whether a normalized code has the form of a TOTP code.
func isTOTPCode(code string) bool {
	return len(code) == totpDigits.Length() && strings.Trim(code, "0123456789") == ""
}

// isRecoveryCode reports whether a normalized code has the form of a
// recovery code.
func isRecoveryCode(code string) bool {
	return len(code) == recoveryCodeLength && strings.Trim(code, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == ""
}
