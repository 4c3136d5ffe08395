package domain_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/clarynext/usermgmt/domain"
)

func TestValidationError(t *testing.T) {
	err := fmt.Errorf("create user: %w", &domain.ValidationError{Fields: []domain.FieldError{
		{Field: "email", Code: domain.CodeRequired, Message: "email is required"},
		{Field: "roles", Code: domain.CodeInvalid, Message: `"X" is not a role key`},
	}})
	if !errors.Is(err, domain.ErrInvalid) {
		t.Fatal("a wrapped ValidationError must match ErrInvalid")
	}
	if errors.Is(err, domain.ErrConflict) {
		t.Fatal("a ValidationError must not match ErrConflict")
	}
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 2 {
		t.Fatalf("errors.As: %v", err)
	}
	want := `create user: invalid input: email: email is required; roles: "X" is not a role key`
	if err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestConflictError(t *testing.T) {
	err := fmt.Errorf("change email: %w", &domain.ConflictError{Field: "email", Code: "taken", Message: "email is taken"})
	if !errors.Is(err, domain.ErrConflict) || errors.Is(err, domain.ErrInvalid) {
		t.Fatal("a ConflictError must match ErrConflict only")
	}
	var ce *domain.ConflictError
	if !errors.As(err, &ce) || ce.Field != "email" {
		t.Fatalf("errors.As: %v", err)
	}
	if got, want := err.Error(), "change email: conflict: email: email is taken"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}

func TestCollectValidation(t *testing.T) {
	if err := domain.CollectValidation(nil, nil); err != nil {
		t.Fatalf("all nil: %v", err)
	}
	err := domain.CollectValidation(
		domain.Invalid("a", domain.CodeRequired, "a is required"),
		nil,
		fmt.Errorf("wrapped: %w", domain.Invalid("b", domain.CodeTooLong, "b is too long")),
	)
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 2 || ve.Fields[0].Field != "a" || ve.Fields[1].Field != "b" {
		t.Fatalf("merged = %v", err)
	}
	other := errors.New("boom")
	if err := domain.CollectValidation(domain.Invalid("a", domain.CodeInvalid, "bad"), other); err != other {
		t.Fatalf("a non-validation error must pass through, got %v", err)
	}
}
