// Package loginhistory projects login attempts into the login history
// read model (readmodels/loginhistory).
package loginhistory

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/auth"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/projections"
	history "github.com/clarynext/usermgmt/readmodels/loginhistory"
)

// Name is the projector's name: its checkpoint, lease and metrics label.
const Name = "login-history"

// New returns the login history projector. reset deletes the read model's
// keys before a rebuild (the store's Reset does).
//
// It reads auth streams, where LoginSucceeded and LoginFailed become
// entries (Locked and LockoutCleared are not attempts and are skipped),
// and user streams for one event only: the deletion of a user with
// anonymization drops their history, which holds their IP addresses.
// Every other event is skipped without being decoded. Replaying events
// writes nothing new (see the store's Add).
func New(store *history.Store, reset func(context.Context) error) (projections.Projector, error) {
	codec, err := domain.NewCodec(append(auth.Registrations(), user.Registrations()...)...)
	if err != nil {
		return projections.Projector{}, err
	}
	return projections.Projector{
		Name:     Name,
		Prefixes: []string{auth.StreamPrefix, user.StreamPrefix},
		Handler:  &handler{store: store, codec: codec},
		Reset:    reset,
	}, nil
}

type handler struct {
	store *history.Store
	codec *domain.Codec
}

// Apply queues one entry per login attempt, in log order.
func (h *handler) Apply(ctx context.Context, pipe redis.Pipeliner, events []eventstore.RecordedEvent) error {
	for _, rec := range events {
		switch rec.Type {
		case auth.TypeLoginSucceeded, auth.TypeLoginFailed, user.TypeDeleted:
		default:
			continue
		}
		e, err := h.codec.Unmarshal(rec.Type, rec.Data)
		if err != nil {
			return fmt.Errorf("event %s at %s/%d: %w", rec.ID, rec.Stream, rec.Revision, err)
		}
		pos := rec.Position.Commit
		switch e := e.(type) {
		case auth.LoginSucceeded:
			h.store.Add(ctx, pipe, e.UserID, entry(e.At, true, "", e.Client, pos))
		case auth.LoginFailed:
			h.store.Add(ctx, pipe, e.UserID, entry(e.At, false, string(e.Reason), e.Client, pos))
		case user.Deleted:
			if e.DataHandling == user.Anonymize {
				h.store.Remove(ctx, pipe, e.UserID)
			}
		}
	}
	return nil
}

func entry(at time.Time, ok bool, reason string, c auth.ClientInfo, pos uint64) history.Entry {
	return history.Entry{
		At: at, Success: ok, Reason: reason,
		IP: c.IP, UserAgent: c.UserAgent, Device: c.Device, Browser: c.Browser, OS: c.OS,
		Position: pos,
	}
}
