package user

import (
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
)

// The first System Admin is created once per installation. The stream
// BootstrapStream records that it happened, and who it is; it is appended
// with "no stream", so two racing bootstraps cannot both record one.
const (
	BootstrapStream   = "settings-bootstrap"
	TypeBootstrapped  = "settings.admin_bootstrapped.v1"
	BootstrapRoleHint = "system_admin"
)

// Bootstrapped records the first System Admin.
type Bootstrapped struct {
	UserID uuid.UUID `json:"user_id"`
	At     time.Time `json:"at"`
}

// EventType implements domain.Event.
func (Bootstrapped) EventType() string { return TypeBootstrapped }

// BootstrapRegistrations lists the bootstrap event for domain.NewCodec.
func BootstrapRegistrations() []domain.Registration {
	return []domain.Registration{domain.Register[Bootstrapped]()}
}
