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
// domain. With verification required the user starts unverified and the
// mail outbox sends the link; otherwise it is active at once.
//
// An address that is taken is the usual *domain.ConflictError on "email";
// callers that must not reveal which addresses have accounts answer as for
// a success when verification is required (the owner gets no mail, and the
// person who tried learns nothing).
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
		return SignUpResult{}, joinValidation(fieldsErr, h.users.precheck(ctx, cmd))
	}
	res, err := h.users.Create(ctx, md, cmd)
	if err != nil {
		return SignUpResult{}, err
	}
	return SignUpResult{Result: res, VerificationSent: s.RequireVerification}, nil
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
