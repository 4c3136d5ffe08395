package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/registration"
)

// ErrRegistrationDisabled answers a sign-up while self-registration is off.
var ErrRegistrationDisabled = fmt.Errorf("self-registration is disabled: %w", domain.ErrForbidden)

// SignUp is the input of Register.
type SignUp struct {
	Email     string
	FirstName string
	LastName  string
	Password  string
	// Fields are the additional fields as decoded from JSON, checked
	// against the fields the registration settings define.
	Fields map[string]any
}

// SignUpResult says what became of a sign-up.
type SignUpResult struct {
	Result
	// VerificationSent: the user must follow the emailed link before it
	// can log in.
	VerificationSent bool
}

// SignUps handles self-registration.
type SignUps struct {
	settings *Registrations
	users    *Users
}

// NewSignUps returns the sign-up handler over the registration settings
// and the user commands.
func NewSignUps(settings *Registrations, users *Users) (*SignUps, error) {
	if settings == nil || users == nil {
		return nil, errors.New("commands: sign-ups need the registration settings and the user commands")
	}
	return &SignUps{settings: settings, users: users}, nil
}

// Register signs a person up under the registration settings: refused with
// ErrRegistrationDisabled while they are off; the additional fields are
// validated against the defined ones (every problem in one
// *domain.ValidationError, together with the profile's and the password
// policy's); roles and organization come from the settings, by email
// domain.
//
// With verification required the user starts unverified, without a
// password: the mail outbox sends a link, and whoever reads that mailbox
// chooses the password (so signing up with somebody else's address gains
// nothing). A sign-up must then give no password. An address that is
// taken answers like a success, so nobody learns which addresses have
// accounts; if it waits for verification, a new link goes to it, which
// lets the mailbox's owner finish a sign-up somebody else started.
// Without verification the password is required, the user is active at
// once, and a taken address is the usual *domain.ConflictError on "email".
//
// Settings that place sign-ups into an organization or role that no
// longer exists (or is archived) fail as an internal error, logged for the
// admins: an anonymous caller learns nothing about the placement.
func (h *SignUps) Register(ctx context.Context, md Metadata, in SignUp) (SignUpResult, error) {
	s, _, err := h.settings.Settings(ctx)
	if err != nil {
		return SignUpResult{}, fmt.Errorf("sign up: %w", err)
	}
	if !s.Enabled {
		return SignUpResult{}, ErrRegistrationDisabled
	}
	attrs, fieldsErr := s.ValidateFields(in.Fields)
	roles, org := s.Placement(in.Email)
	cmd := CreateUser{
		Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, Password: in.Password,
		Roles: roles, OrgID: org, SignUp: true, Attributes: attrs, VerifyEmail: s.RequireVerification,
	}
	if fieldsErr != nil {
		// Report the profile's own problems with the fields' in one go.
		return SignUpResult{}, placementErr(joinValidation(fieldsErr, h.users.precheck(ctx, cmd)))
	}
	res, err := h.users.Create(ctx, md, cmd)
	var conflict *domain.ConflictError
	if s.RequireVerification && errors.As(err, &conflict) && conflict.Field == "email" {
		if _, err := h.users.ResendVerification(ctx, md, in.Email); err != nil {
			return SignUpResult{}, fmt.Errorf("sign up with a taken address: %w", err)
		}
		return SignUpResult{VerificationSent: true}, nil
	}
	if err != nil {
		return SignUpResult{}, placementErr(err)
	}
	return SignUpResult{Result: res, VerificationSent: s.RequireVerification}, nil
}

// placementErr turns a problem with the organization or roles that the
// settings chose into an internal error, which callers log and answer
// without detail.
func placementErr(err error) error {
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			if f.Field == "roles" || f.Field == "org_role" || f.Field == "organization_id" {
				return fmt.Errorf("registration settings place sign-ups badly (%s: %s); fix GET/PUT /v1/settings/registration", f.Field, f.Message)
			}
		}
	}
	var ce *domain.ConflictError
	if errors.As(err, &ce) && ce.Field == "organization_id" {
		return fmt.Errorf("registration settings place sign-ups badly (%s); fix GET/PUT /v1/settings/registration", ce.Message)
	}
	return err
}

// joinValidation merges validation errors into one; any other error wins.
func joinValidation(errs ...error) error {
	var all domain.ValidationError
	for _, err := range errs {
		if err == nil {
			continue
		}
		var ve *domain.ValidationError
		if !errors.As(err, &ve) {
			return err
		}
		all.Fields = append(all.Fields, ve.Fields...)
	}
	if len(all.Fields) == 0 {
		return nil
	}
	return &all
}

// Settings is for callers that show the sign-up form: the
// current registration settings.
func (h *SignUps) Settings(ctx context.Context) (registration.Settings, error) {
	s, _, err := h.settings.Settings(ctx)
	return s, err
}
