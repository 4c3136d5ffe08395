package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
)

// ResendInvitation issues a new invitation link to an invited user; the
// one before it stops working. The mail outbox sends it.
func (h *Users) ResendInvitation(ctx context.Context, md Metadata, id uuid.UUID, ifMatch *uint64) (Result, error) {
	return h.issueLink(ctx, md, id, ifMatch, user.PurposeInvitation, (*user.User).SendInvitation)
}

// RevokeInvitation withdraws an invited user's live invitation link.
func (h *Users) RevokeInvitation(ctx context.Context, md Metadata, id uuid.UUID, ifMatch *uint64) (Result, error) {
	return h.update(ctx, md, id, ifMatch, func(u *user.User) ([]domain.Event, error) {
		return u.RevokeInvitation(h.s.now())
	})
}

// AcceptInvitation spends an invitation token: the password (judged by the
// password policy) becomes the user's and the user active. The result's ID
// is the user's.
func (h *Users) AcceptInvitation(ctx context.Context, md Metadata, token, password string) (Result, error) {
	return h.spendLink(ctx, md, user.PurposeInvitation, token, password,
		func(u *user.User, l presentedLink, hash string) ([]domain.Event, error) {
			return u.AcceptInvitation(l.tokenID, l.hash, hash, h.s.now())
		})
}

// SendPasswordReset is an admin's "send reset email": a reset link for an
// active user, which the mail outbox sends.
func (h *Users) SendPasswordReset(ctx context.Context, md Metadata, id uuid.UUID) (Result, error) {
	return h.issueLink(ctx, md, id, nil, user.PurposeReset, func(u *user.User, tok user.Token, now time.Time) ([]domain.Event, error) {
		return u.RequestReset(tok, true, now)
	})
}

// ForgotPassword is the self-service "forgot password": when the address
// belongs to an active user, a reset link is issued. It reports whether
// one was, for logs and tests only; callers must answer the same either
// way, so that nobody learns which addresses have accounts.
func (h *Users) ForgotPassword(ctx context.Context, md Metadata, email string) (bool, error) {
	return h.issueLinkTo(ctx, md, email, user.PurposeReset, func(u *user.User, tok user.Token, now time.Time) ([]domain.Event, error) {
		return u.RequestReset(tok, false, now)
	})
}

// CompletePasswordReset spends a reset token and sets the new password,
// judged by the password policy and history. Callers end the user's
// sessions (the result's ID is the user's).
func (h *Users) CompletePasswordReset(ctx context.Context, md Metadata, token, password string) (Result, error) {
	return h.spendLink(ctx, md, user.PurposeReset, token, password,
		func(u *user.User, l presentedLink, hash string) ([]domain.Event, error) {
			return u.CompleteReset(l.tokenID, l.hash, hash, h.s.now())
		})
}

// VerifyEmail spends a verification token, sets the password the person
// chose (judged by the password policy) and makes the user active.
func (h *Users) VerifyEmail(ctx context.Context, md Metadata, token, password string) (Result, error) {
	return h.spendLink(ctx, md, user.PurposeVerification, token, password,
		func(u *user.User, l presentedLink, hash string) ([]domain.Event, error) {
			return u.VerifyEmail(l.tokenID, l.hash, hash, h.s.now())
		})
}

// ResendVerification issues a new verification link when the address
// belongs to a user who has not verified it; like ForgotPassword it
// reports whether it did, and callers answer the same either way.
func (h *Users) ResendVerification(ctx context.Context, md Metadata, email string) (bool, error) {
	return h.issueLinkTo(ctx, md, email, user.PurposeVerification, (*user.User).SendVerification)
}

// issueLink mints a link of purpose p for the user and lets issue record
// it (the domain refuses a link the user's status has no use for).
func (h *Users) issueLink(ctx context.Context, md Metadata, id uuid.UUID, ifMatch *uint64, p user.Purpose,
	issue func(u *user.User, tok user.Token, now time.Time) ([]domain.Event, error)) (Result, error) {
	return h.update(ctx, md, id, ifMatch, func(u *user.User) ([]domain.Event, error) {
		now := h.s.now()
		return issue(u, h.newLink(p, id, now), now)
	})
}

// issueLinkTo is issueLink for a self-service request by email address.
// It reports whether a link was issued, for logs and tests only: an
// address nobody holds, or a user whose status has no use for the link,
// is no error, and callers answer the same either way.
func (h *Users) issueLinkTo(ctx context.Context, md Metadata, email string, p user.Purpose,
	issue func(u *user.User, tok user.Token, now time.Time) ([]domain.Event, error)) (bool, error) {
	id, ok, err := h.accountOf(ctx, email)
	if err != nil || !ok {
		return false, err
	}
	_, err = h.issueLink(ctx, md, id, nil, p, issue)
	if errors.Is(err, domain.ErrConflict) || errors.Is(err, domain.ErrNotFound) {
		return false, nil // no link, and no hint of why
	}
	return err == nil, err
}

// spendLink is the shape of every "follow the link and choose a password"
// command: open the token (a forged one stops here), judge it against the
// user's history before paying for argon2, judge the password (policy and
// history), hash it, then decide and append at the loaded revision.
func (h *Users) spendLink(ctx context.Context, md Metadata, p user.Purpose, token, password string,
	decide func(u *user.User, l presentedLink, hash string) ([]domain.Event, error)) (Result, error) {
	l, err := h.openLink(p, token)
	if err != nil {
		return Result{}, err
	}
	events, _, err := h.s.load(ctx, user.Stream(l.userID))
	if err != nil {
		return Result{}, fmt.Errorf("follow %s link: %w", p, err)
	}
	u, err := user.Load(events...)
	if err != nil {
		return Result{}, fmt.Errorf("follow %s link: load user %s: %w", p, l.userID, err)
	}
	if !u.Exists() {
		return Result{}, errBadLink
	}
	if _, err := decide(u, l, probeHash); err != nil {
		return Result{}, linkErr(err)
	}
	if err := h.checkNewPassword(ctx, password, passwordHistory(events)); err != nil {
		return Result{}, err
	}
	hash, err := h.hasher.Hash(ctx, password)
	if err != nil {
		return Result{}, fmt.Errorf("follow %s link: %w", p, err)
	}
	res, err := h.update(ctx, md, l.userID, nil, func(u *user.User) ([]domain.Event, error) {
		return decide(u, l, hash)
	})
	return res, linkErr(err)
}

// linkErr keeps a deleted user's link from telling more than any other
// dead link.
func linkErr(err error) error {
	if errors.Is(err, domain.ErrNotFound) {
		return errBadLink
	}
	return err
}

// accountOf finds the live user who holds an email address; ok is false
// when the address is malformed or no live user holds it.
func (h *Users) accountOf(ctx context.Context, email string) (id uuid.UUID, ok bool, err error) {
	normalized, err := user.NormalizeEmail(email)
	if err != nil {
		return uuid.Nil, false, nil
	}
	holder, held, err := h.holderOf(ctx, email)
	if err != nil || !held {
		return uuid.Nil, false, err
	}
	u, _, err := h.load(ctx, holder)
	if err != nil {
		return uuid.Nil, false, err
	}
	if !u.Exists() || u.Deleted() || user.EmailKey(u.Email()) != user.EmailKey(normalized) {
		return uuid.Nil, false, nil
	}
	return holder, true, nil
}
