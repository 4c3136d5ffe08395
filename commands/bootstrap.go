package commands

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/eventstore"
)

// BootstrapResult says who the first System Admin is and whether this call
// created it.
type BootstrapResult struct {
	UserID  uuid.UUID
	Created bool
}

// Bootstrapped returns the first System Admin, if one was bootstrapped.
func (h *Users) Bootstrapped(ctx context.Context) (uuid.UUID, bool, error) {
	boot, err := h.bootStreams()
	if err != nil {
		return uuid.Nil, false, err
	}
	events, _, err := boot.load(ctx, user.BootstrapStream)
	if err != nil {
		return uuid.Nil, false, fmt.Errorf("read bootstrap: %w", err)
	}
	for _, e := range events {
		if b, ok := e.(user.Bootstrapped); ok {
			return b.UserID, true, nil
		}
	}
	return uuid.Nil, false, nil
}

// Bootstrap creates the first System Admin with the email and password,
// once per installation: later calls change nothing and return the admin
// bootstrapped before (Created false), whatever email they name. A crash
// between creating the user and recording the bootstrap is repaired by
// the next call: the user with that email, if it holds System Admin, is
// recorded as the bootstrapped admin.
func (h *Users) Bootstrap(ctx context.Context, md Metadata, email, password string) (BootstrapResult, error) {
	if id, ok, err := h.Bootstrapped(ctx); err != nil || ok {
		return BootstrapResult{UserID: id}, err
	}
	created := true
	res, err := h.Create(ctx, md, CreateUser{Email: email, FirstName: "System", LastName: "Admin",
		Roles: []string{user.BootstrapRoleHint}, Password: password})
	var ce *domain.ConflictError
	if errors.As(err, &ce) && ce.Field == "email" {
		// Created before a crash, or by a racing bootstrap: adopt it if it
		// is a System Admin. A racing bootstrap may hold the address a
		// moment before its user exists, so wait for it briefly.
		id, u, lerr := h.waitForHolder(ctx, email)
		if lerr != nil {
			return BootstrapResult{}, lerr
		}
		if u == nil {
			return BootstrapResult{}, err
		}
		if !u.HasRole(user.BootstrapRoleHint) {
			return BootstrapResult{}, &domain.ConflictError{Field: "email", Code: "email_taken",
				Message: "a user who is not a System Admin has this email; bootstrap with another address"}
		}
		res.ID, created, err = id, false, nil
	}
	if err != nil {
		return BootstrapResult{}, fmt.Errorf("bootstrap admin: %w", err)
	}
	boot, err := h.bootStreams()
	if err != nil {
		return BootstrapResult{}, err
	}
	_, err = boot.append(ctx, user.BootstrapStream, eventstore.NoStream(), md,
		[]domain.Event{user.Bootstrapped{UserID: res.ID, At: h.s.now()}})
	if eventstore.IsWrongExpectedRevision(err) {
		// Another bootstrap recorded its admin first; that one stands.
		id, _, err := h.Bootstrapped(ctx)
		return BootstrapResult{UserID: id, Created: created && id == res.ID}, err
	}
	if err != nil {
		return BootstrapResult{}, fmt.Errorf("record bootstrap: %w", err)
	}
	return BootstrapResult{UserID: res.ID, Created: created}, nil
}

// waitForHolder returns the user holding email, waiting a little while
// the holder's user is not created yet; u is nil when nobody holds it.
func (h *Users) waitForHolder(ctx context.Context, email string) (uuid.UUID, *user.User, error) {
	for attempt := 0; ; attempt++ {
		id, ok, err := h.holderOf(ctx, email)
		if err != nil || !ok {
			return uuid.Nil, nil, err
		}
		u, _, err := h.load(ctx, id)
		if err != nil {
			return uuid.Nil, nil, err
		}
		if u.Exists() || attempt >= h.retries {
			return id, u, nil
		}
		if err := pause(ctx, attempt); err != nil {
			return uuid.Nil, nil, err
		}
	}
}

// bootStreams reads and writes the bootstrap stream.
func (h *Users) bootStreams() (streams, error) {
	codec, err := domain.NewCodec(user.BootstrapRegistrations()...)
	if err != nil {
		return streams{}, fmt.Errorf("bootstrap codec: %w", err)
	}
	return streams{store: h.s.store, codec: codec, now: h.s.now}, nil
}

// holderOf finds the user holding an email address through its
// reservation stream.
func (h *Users) holderOf(ctx context.Context, email string) (uuid.UUID, bool, error) {
	norm, err := user.NormalizeEmail(email)
	if err != nil {
		return uuid.Nil, false, err
	}
	history, _, err := h.s.load(ctx, user.ReservationStream(user.EmailKey(norm)))
	if err != nil {
		return uuid.Nil, false, err
	}
	id, ok := user.LoadReservation(history...).Holder()
	return id, ok, nil
}

// Load returns a user as the write side knows it, and its revision
// (NoRevision when it has no history). Authorization uses it, so that it
// never rests on an eventually consistent read.
func (h *Users) Load(ctx context.Context, id uuid.UUID) (*user.User, int64, error) {
	return h.load(ctx, id)
}

// Revision returns the revision of the user's stream (NoRevision when it
// has no history) without decoding it, so that a cache of Load's answers
// can tell whether one still holds.
func (h *Users) Revision(ctx context.Context, id uuid.UUID) (int64, error) {
	return h.s.revision(ctx, user.Stream(id))
}
