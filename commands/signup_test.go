package commands_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/auth"
	"github.com/clarynext/usermgmt/domain/registration"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/crypto/password"
)

func TestRegister(t *testing.T) {
	ctx := context.Background()
	f := newLinkFixture(t)
	settings, err := commands.NewRegistrations(commands.RegistrationsConfig{Store: f.store, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	signUps, err := commands.NewSignUps(settings, f.users)
	if err != nil {
		t.Fatal(err)
	}
	ada := commands.SignUp{Email: "ada@acme.example", FirstName: "Ada", Fields: map[string]any{"company": "ACME"}}

	if _, err := signUps.Register(ctx, md, ada); !errors.Is(err, commands.ErrRegistrationDisabled) {
		t.Fatalf("while disabled: %v", err)
	}

	s := registration.Default()
	s.Enabled = true
	s.DomainRules = []registration.DomainRule{{Domain: "acme.example", OrgID: "acme", Roles: []string{"author"}}}
	s.Fields = []registration.Field{{Key: "company", Label: "Company", Type: registration.TypeString, Required: true, MaxLength: 10}}
	if _, err := settings.SetSettings(ctx, md, nil, s); err != nil {
		t.Fatal(err)
	}

	bad := commands.SignUp{Email: "not an address", Password: "Analytical-Engine-1", Fields: map[string]any{"company": "far too long a name", "extra": 1.0}}
	_, err = signUps.Register(ctx, md, bad)
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("bad sign-up: %v", err)
	}
	got := map[string]bool{}
	for _, fe := range ve.Fields {
		got[fe.Field+":"+fe.Code] = true
	}
	for _, want := range []string{"fields.company:too_long", "fields.extra:unknown", "email:invalid", "password:invalid"} {
		if !got[want] {
			t.Errorf("missing %s in %v", want, ve.Fields)
		}
	}

	res, err := signUps.Register(ctx, md, ada)
	if err != nil || !res.VerificationSent {
		t.Fatalf("sign up: %+v %v", res, err)
	}
	u, _, err := f.users.Load(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.Status() != user.StatusUnverified || u.OrgID() != "acme" || !u.HasRole("author") || u.Attributes()["company"] != "ACME" {
		t.Fatalf("signed-up user: status %q org %q roles %v attrs %v", u.Status(), u.OrgID(), u.Roles(), u.Attributes())
	}
	// The address again: answered like a success, and the mailbox gets a
	// new link (whoever reads it chooses the password).
	again, err := signUps.Register(ctx, md, ada)
	if err != nil || !again.VerificationSent {
		t.Fatalf("second sign-up with the address: %+v %v", again, err)
	}
	sent := 0
	for _, ev := range f.events(t, user.Stream(res.ID)) {
		if ev.Type == user.TypeVerificationSent {
			sent++
		}
	}
	if sent != 2 {
		t.Fatalf("%d verification links, want 2", sent)
	}

	// Until it verifies, the right password logs nothing in but a failure
	// that says why.
	a, err := commands.NewAuth(commands.AuthConfig{Store: f.store, Verifier: password.NewHasher(password.OWASP, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Login(ctx, md, commands.LoginAttempt{Email: ada.Email, Password: "Analytical-Engine-1"}); !errors.Is(err, commands.ErrInvalidCredentials) {
		t.Fatalf("login before verifying: %v", err)
	}
	evs := f.events(t, auth.Stream(res.ID))
	if len(evs) != 1 || evs[0].Type != auth.TypeLoginFailed || !strings.Contains(string(evs[0].Data), `"reason":"unverified"`) {
		t.Fatalf("auth stream: %v", evs)
	}

	// Without verification: a password is required, the user is active at
	// once, and a taken address is a conflict.
	s.RequireVerification, s.DomainRules = false, nil
	if _, err := settings.SetSettings(ctx, md, nil, s); err != nil {
		t.Fatal(err)
	}
	bob := commands.SignUp{Email: "bob@example.com", Fields: map[string]any{"company": "Bobs"}}
	if _, err := signUps.Register(ctx, md, bob); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("no password without verification: %v", err)
	}
	bob.Password = "Bobs-Burgers-77"
	res, err = signUps.Register(ctx, md, bob)
	if err != nil || res.VerificationSent {
		t.Fatalf("sign up without verification: %+v %v", res, err)
	}
	if u, _, _ := f.users.Load(ctx, res.ID); u.Status() != user.StatusActive {
		t.Fatalf("status %q", u.Status())
	}
	if _, err := signUps.Register(ctx, md, bob); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("taken address without verification: %v", err)
	}

	// Settings that place sign-ups into an organization that does not
	// exist fail without telling the caller why.
	s.DefaultOrgID = "gone"
	if _, err := settings.SetSettings(ctx, md, nil, s); err != nil {
		t.Fatal(err)
	}
	checked, err := commands.NewUsers(commands.UsersConfig{Store: f.store, Hasher: password.NewHasher(password.OWASP, 1), CheckOrgs: true})
	if err != nil {
		t.Fatal(err)
	}
	strict, _ := commands.NewSignUps(settings, checked)
	_, err = strict.Register(ctx, md, commands.SignUp{Email: "cy@example.com", Password: "Cy-Long-Password-1", Fields: map[string]any{"company": "C"}})
	var ce *domain.ConflictError
	if err == nil || errors.As(err, &ce) || errors.Is(err, domain.ErrInvalid) || errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a sign-up placed into a missing organization: %v", err)
	}
}
