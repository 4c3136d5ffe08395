package commands_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/mfa"
	"github.com/clarynext/usermgmt/infra/crypto/password"
	"github.com/clarynext/usermgmt/infra/crypto/sealbox"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/infra/eventstore/embedded"
)

type mfaFixture struct {
	store *embedded.Store
	mfa   *commands.MFA
	clock *clock
}

func newMFAFixture(t *testing.T) *mfaFixture {
	t.Helper()
	store, err := embedded.Open(filepath.Join(t.TempDir(), "events.db"), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	box, err := sealbox.New(bytes.Repeat([]byte{42}, sealbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	params := password.OWASP
	params.Memory = 1024 // fast tests; production uses OWASP
	// 10 s into a 30 s time step.
	c := &clock{now: time.Date(2026, 11, 27, 9, 0, 10, 0, time.UTC)}
	m, err := commands.NewMFA(commands.MFAConfig{
		Store: store, Box: box, Issuer: "ClaryNext", Now: c.Now,
		Hasher: password.NewHasher(params, 4),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &mfaFixture{store: store, mfa: m, clock: c}
}

// code is the TOTP code of secret at the fixture's time plus d.
func (f *mfaFixture) code(t *testing.T, secret string, d time.Duration) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, f.clock.Now().Add(d))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *mfaFixture) start(t *testing.T, id uuid.UUID) commands.Enrollment {
	t.Helper()
	e, err := f.mfa.StartTOTP(context.Background(), md, id, "jane@example.com")
	if err != nil {
		t.Fatalf("start TOTP: %v", err)
	}
	return e
}

// enroll starts and confirms an enrolment and returns the secret and the
// recovery codes.
func (f *mfaFixture) enroll(t *testing.T, id uuid.UUID) (string, []string) {
	t.Helper()
	e := f.start(t, id)
	codes, err := f.mfa.ConfirmTOTP(context.Background(), md, id, f.code(t, e.Secret, 0))
	if err != nil {
		t.Fatalf("confirm TOTP: %v", err)
	}
	return e.Secret, codes
}

func (f *mfaFixture) enrolled(t *testing.T, id uuid.UUID) bool {
	t.Helper()
	ok, err := f.mfa.Status(context.Background(), id)
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	return ok
}

// stream is the recorded events of one stream.
func (f *mfaFixture) stream(t *testing.T, name string) []eventstore.RecordedEvent {
	t.Helper()
	evs, err := f.store.ReadStream(context.Background(), name, eventstore.ReadStreamOptions{})
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return evs
}

// allEvents is every event in the store, all streams.
func (f *mfaFixture) allEvents(t *testing.T) []eventstore.RecordedEvent {
	t.Helper()
	evs, err := f.store.ReadAll(context.Background(), eventstore.ReadAllOptions{Max: 10000})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestNewMFARequiresItsDependencies(t *testing.T) {
	if _, err := commands.NewMFA(commands.MFAConfig{}); err == nil {
		t.Fatal("NewMFA with nothing: no error")
	}
}

func TestStartTOTP(t *testing.T) {
	f := newMFAFixture(t)
	id := uuid.New()
	e := f.start(t, id)

	if !regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(e.Secret) {
		t.Errorf("secret %q is not 32 base32 characters", e.Secret)
	}
	img, err := png.Decode(bytes.NewReader(e.QRPNG))
	if err != nil {
		t.Fatalf("QR code is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 200 || b.Dy() != 200 {
		t.Errorf("QR code is %dx%d, want 200x200", b.Dx(), b.Dy())
	}
	u, err := url.Parse(e.URI)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/ClaryNext:jane@example.com" ||
		q.Get("issuer") != "ClaryNext" || q.Get("secret") != e.Secret ||
		q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Errorf("URI = %s", e.URI)
	}
	if f.enrolled(t, id) {
		t.Error("enrolled before confirming")
	}

	if _, err := f.mfa.StartTOTP(context.Background(), md, id, "  "); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("empty account name: err = %v, want ErrInvalid", err)
	}
}

func TestConfirmTOTP(t *testing.T) {
	ctx := context.Background()
	f := newMFAFixture(t)
	id := uuid.New()

	if _, err := f.mfa.ConfirmTOTP(ctx, md, id, "123456"); !errors.Is(err, mfa.ErrNoPendingEnrollment) {
		t.Fatalf("confirm without enrolment: err = %v, want ErrNoPendingEnrollment", err)
	}
	first := f.start(t, id)
	e := f.start(t, id) // a restart replaces the first secret

	for _, tc := range []struct{ name, code string }{
		{"wrong code", wrongCode(f.code(t, e.Secret, 0))},
		{"code two steps ahead", f.code(t, e.Secret, 60*time.Second)},
		{"code of the replaced secret", f.code(t, first.Secret, 0)},
		{"not a code", "abc"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.mfa.ConfirmTOTP(ctx, md, id, tc.code)
			if got := singleField(err); !errors.Is(err, domain.ErrInvalid) || got != "code:invalid" {
				t.Fatalf("err = %v (fields %s), want invalid code", err, got)
			}
			if f.enrolled(t, id) {
				t.Fatal("enrolled by a wrong code")
			}
		})
	}

	codes, err := f.mfa.ConfirmTOTP(ctx, md, id, f.code(t, e.Secret, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes, want 10", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if !regexp.MustCompile(`^[A-Z2-7]{5}-[A-Z2-7]{5}$`).MatchString(c) || seen[c] {
			t.Errorf("recovery code %q is malformed or repeated", c)
		}
		seen[c] = true
	}
	if !f.enrolled(t, id) {
		t.Fatal("not enrolled after confirming")
	}
	if _, err := f.mfa.ConfirmTOTP(ctx, md, id, f.code(t, e.Secret, 0)); !errors.Is(err, mfa.ErrNoPendingEnrollment) {
		t.Errorf("second confirm: err = %v, want ErrNoPendingEnrollment", err)
	}
	if _, err := f.mfa.StartTOTP(ctx, md, id, "jane@example.com"); !errors.Is(err, mfa.ErrAlreadyEnrolled) {
		t.Errorf("start while enrolled: err = %v, want ErrAlreadyEnrolled", err)
	}
}

func TestVerifyTOTPCode(t *testing.T) {
	ctx := context.Background()
	f := newMFAFixture(t)
	id := uuid.New()
	secret, _ := f.enroll(t, id)
	verify := func(code string) error { return f.mfa.VerifySecondFactor(ctx, md, id, code) }
	refused := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, commands.ErrInvalidSecondFactor) {
			t.Errorf("%s: err = %v, want ErrInvalidSecondFactor", what, err)
		}
	}

	refused("the code that confirmed the enrolment", verify(f.code(t, secret, 0)))
	f.clock.Advance(30 * time.Second)
	current := f.code(t, secret, 0)
	refused("wrong code", verify(wrongCode(current)))
	refused("code two steps ahead", verify(f.code(t, secret, 60*time.Second)))
	refused("garbage", verify("letmein"))
	if err := verify(current); err != nil {
		t.Fatalf("right code: %v", err)
	}
	refused("the same code again", verify(current))
	refused("the same code with a space", verify(current[:3]+" "+current[3:]))
	refused("an older step within the skew", verify(f.code(t, secret, -30*time.Second)))
	if err := verify(f.code(t, secret, 30*time.Second)); err != nil {
		t.Fatalf("next step within the skew: %v", err)
	}
	refused("the current step after the next one was used", verify(current))
	f.clock.Advance(60 * time.Second)
	if err := verify(f.code(t, secret, 0)); err != nil {
		t.Fatalf("code of a later step: %v", err)
	}

	var used []int64
	for _, e := range f.stream(t, mfa.Stream(id)) {
		if e.Type == mfa.TypeTOTPCodeUsed {
			ev := mustDecodeMFA(t, e).(mfa.TOTPCodeUsed)
			used = append(used, ev.Step)
		}
	}
	base := time.Date(2026, 11, 27, 9, 0, 10, 0, time.UTC).Unix() / 30
	if want := []int64{base, base + 1, base + 2, base + 3}; !slices.Equal(used, want) {
		t.Errorf("used steps = %v, want %v", used, want)
	}
}

// TestConcurrentVerifyUsesACodeOnce races logins with the same code:
// exactly one wins.
func TestConcurrentVerifyUsesACodeOnce(t *testing.T) {
	f := newMFAFixture(t)
	id := uuid.New()
	secret, _ := f.enroll(t, id)
	f.clock.Advance(30 * time.Second)
	code := f.code(t, secret, 0)

	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() { errs <- f.mfa.VerifySecondFactor(context.Background(), md, id, code) })
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, commands.ErrInvalidSecondFactor):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d logins succeeded with one code, want 1", ok)
	}
}

func TestVerifyRecoveryCode(t *testing.T) {
	ctx := context.Background()
	f := newMFAFixture(t)
	id := uuid.New()
	_, codes := f.enroll(t, id)
	verify := func(code string) error { return f.mfa.VerifySecondFactor(ctx, md, id, code) }

	if err := verify(codes[3]); err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	if err := verify(codes[3]); !errors.Is(err, commands.ErrInvalidSecondFactor) {
		t.Errorf("recovery code used twice: err = %v, want ErrInvalidSecondFactor", err)
	}
	typed := strings.ToLower(strings.ReplaceAll(codes[7], "-", ""))
	if err := verify(typed); err != nil {
		t.Errorf("recovery code typed in lower case without the dash: %v", err)
	}
	if err := verify("AAAAA-AAAAA"); !errors.Is(err, commands.ErrInvalidSecondFactor) {
		t.Errorf("unknown recovery code: err = %v, want ErrInvalidSecondFactor", err)
	}
	var used []int
	for _, e := range f.stream(t, mfa.Stream(id)) {
		if e.Type == mfa.TypeRecoveryCodeUsed {
			used = append(used, mustDecodeMFA(t, e).(mfa.RecoveryCodeUsed).Index)
		}
	}
	if len(used) != 2 || used[0] != 3 || used[1] != 7 {
		t.Errorf("used recovery codes = %v, want [3 7]", used)
	}
}

func TestResetTOTP(t *testing.T) {
	ctx := context.Background()
	f := newMFAFixture(t)
	id := uuid.New()
	secret, codes := f.enroll(t, id)

	res, err := f.mfa.ResetTOTP(ctx, md, id)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Appended || res.ID != id {
		t.Errorf("reset result = %+v", res)
	}
	if f.enrolled(t, id) {
		t.Fatal("still enrolled after a reset")
	}
	f.clock.Advance(30 * time.Second)
	for _, code := range []string{f.code(t, secret, 0), codes[0]} {
		if err := f.mfa.VerifySecondFactor(ctx, md, id, code); !errors.Is(err, mfa.ErrNotEnrolled) {
			t.Errorf("verify after reset: err = %v, want ErrNotEnrolled", err)
		}
	}
	res, err = f.mfa.ResetTOTP(ctx, md, id)
	if err != nil || res.Appended {
		t.Errorf("second reset = %+v, %v; want nothing appended", res, err)
	}
	// The user can enrol again, with a new secret.
	again, _ := f.enroll(t, id)
	if again == secret {
		t.Error("re-enrolment reused the old secret")
	}
}

// TestSealedSecretIsBoundToItsUser copies one user's enrolment event into
// another user's stream: the secret does not open there.
func TestSealedSecretIsBoundToItsUser(t *testing.T) {
	ctx := context.Background()
	f := newMFAFixture(t)
	alice, mallory := uuid.New(), uuid.New()
	e := f.start(t, alice)
	rec := f.stream(t, mfa.Stream(alice))[0]
	started := mustDecodeMFA(t, rec).(mfa.TOTPEnrollmentStarted)
	started.UserID = mallory
	codec, _ := domain.NewCodec(mfa.Registrations()...)
	typ, data, err := codec.Marshal(started)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Append(ctx, mfa.Stream(mallory), eventstore.NoStream(), eventstore.EventData{ID: uuid.New(), Type: typ, Data: data, Metadata: rec.Metadata}); err != nil {
		t.Fatal(err)
	}
	_, err = f.mfa.ConfirmTOTP(ctx, md, mallory, f.code(t, e.Secret, 0))
	if !errors.Is(err, sealbox.ErrOpen) {
		t.Fatalf("confirm with a copied secret: err = %v, want ErrOpen", err)
	}
	if f.enrolled(t, mallory) {
		t.Fatal("enrolled with another user's secret")
	}
}

// TestStoreHoldsNoSecretInClear scans every event's data and metadata for
// the TOTP secret and the recovery codes.
func TestStoreHoldsNoSecretInClear(t *testing.T) {
	ctx := context.Background()
	f := newMFAFixture(t)
	id := uuid.New()
	secret, codes := f.enroll(t, id)
	f.clock.Advance(30 * time.Second)
	if err := f.mfa.VerifySecondFactor(ctx, md, id, f.code(t, secret, 0)); err != nil {
		t.Fatal(err)
	}
	if err := f.mfa.VerifySecondFactor(ctx, md, id, codes[0]); err != nil {
		t.Fatal(err)
	}
	secrets := []string{secret, strings.ToLower(secret)}
	for _, c := range codes {
		secrets = append(secrets, c, strings.ReplaceAll(c, "-", ""))
	}
	events := f.allEvents(t)
	if len(events) < 5 {
		t.Fatalf("only %d events in the store", len(events))
	}
	for _, e := range events {
		for _, s := range secrets {
			if bytes.Contains(e.Data, []byte(s)) || bytes.Contains(e.Metadata, []byte(s)) {
				t.Errorf("event %s of %s holds a secret in clear", e.Type, e.Stream)
			}
		}
	}
}

func mustDecodeMFA(t *testing.T, rec eventstore.RecordedEvent) domain.Event {
	t.Helper()
	codec, err := domain.NewCodec(mfa.Registrations()...)
	if err != nil {
		t.Fatal(err)
	}
	e, err := codec.Unmarshal(rec.Type, rec.Data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// wrongCode is a 6-digit code that differs from code.
func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func singleField(err error) string {
	var ve *domain.ValidationError
	if errors.As(err, &ve) && len(ve.Fields) == 1 {
		return ve.Fields[0].Field + ":" + ve.Fields[0].Code
	}
	return ""
}
