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
	ada := commands.SignUp{Email: "ada@acme.example", FirstName: "Ada", Password: "Analytical-Engine-1", Fields: map[string]any{"company": "ACME"}}

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

	bad := commands.SignUp{Email: "not an address", Password: "x", Fields: map[string]any{"company": "far too long a name", "extra": 1.0}}
	_, err = signUps.Register(ctx, md, bad)
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("bad sign-up: %v", err)
	}
	got := map[string]bool{}
	for _, fe := range ve.Fields {
		got[fe.Field+":"+fe.Code] = true
	}
	for _, want := range []string{"fields.company:too_long", "fields.extra:unknown", "email:invalid", "password:too_short"} {
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
	if _, err := signUps.Register(ctx, md, ada); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("second sign-up with the address: %v", err)
	}

	// Until it verifies, the right password logs nothing in but a failure
	// that says why.
	a, err := commands.NewAuth(commands.AuthConfig{Store: f.store, Verifier: password.NewHasher(password.OWASP, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Login(ctx, md, commands.LoginAttempt{Email: ada.Email, Password: ada.Password}); !errors.Is(err, commands.ErrInvalidCredentials) {
		t.Fatalf("login before verifying: %v", err)
	}
	evs := f.events(t, auth.Stream(res.ID))
	if len(evs) != 1 || evs[0].Type != auth.TypeLoginFailed || !strings.Contains(string(evs[0].Data), `"reason":"unverified"`) {
		t.Fatalf("auth stream: %v", evs)
	}
}
