package role

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/clarynext/usermgmt/domain"
)

// StreamPrefix starts the stream name of every custom role, "role-{key}".
const StreamPrefix = "role-"

// Stream names a custom role's stream.
func Stream(key string) string { return StreamPrefix + key }

// Event type names.
const (
	TypeCreated            = "role.created.v1"
	TypeRenamed            = "role.renamed.v1"
	TypeDescribed          = "role.described.v1"
	TypePermissionsChanged = "role.permissions_changed.v1"
	TypeDeleted            = "role.deleted.v1"
)

// Created defines a custom role.
type Created struct {
	Key         string       `json:"key"`
	Name        string       `json:"name"`
	Description string       `json:"description,omitempty"`
	Permissions []Permission `json:"permissions"`
	At          time.Time    `json:"at"`
}

// Renamed changes a custom role's display name.
type Renamed struct {
	Key  string    `json:"key"`
	Name string    `json:"name"`
	At   time.Time `json:"at"`
}

// Described changes a custom role's description.
type Described struct {
	Key         string    `json:"key"`
	Description string    `json:"description"`
	At          time.Time `json:"at"`
}

// PermissionsChanged replaces a custom role's permissions.
type PermissionsChanged struct {
	Key         string       `json:"key"`
	Permissions []Permission `json:"permissions"`
	At          time.Time    `json:"at"`
}

// Deleted removes a custom role. Users keep the key in their history, but
// a deleted role grants nothing from then on; the key is never reused.
type Deleted struct {
	Key string    `json:"key"`
	At  time.Time `json:"at"`
}

// EventType implements domain.Event.
func (Created) EventType() string { return TypeCreated }

// EventType implements domain.Event.
func (Renamed) EventType() string { return TypeRenamed }

// EventType implements domain.Event.
func (Described) EventType() string { return TypeDescribed }

// EventType implements domain.Event.
func (PermissionsChanged) EventType() string { return TypePermissionsChanged }

// EventType implements domain.Event.
func (Deleted) EventType() string { return TypeDeleted }

// Registrations lists the role events for domain.NewCodec.
func Registrations() []domain.Registration {
	return []domain.Registration{
		domain.Register[Created](), domain.Register[Renamed](), domain.Register[Described](),
		domain.Register[PermissionsChanged](), domain.Register[Deleted](),
	}
}

// Limits of a custom role's texts.
const (
	MaxNameLength        = 80
	MaxDescriptionLength = 500
)

// Role is the custom role aggregate. The zero Role does not exist yet.
type Role struct {
	def     Definition
	created bool
	deleted bool
}

// Load folds a custom role's history.
func Load(history ...domain.Event) (*Role, error) {
	r := &Role{}
	for _, e := range history {
		if err := r.apply(e); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *Role) apply(e domain.Event) error {
	switch e := e.(type) {
	case Created:
		r.created = true
		r.def = Definition{Key: e.Key, Name: e.Name, Description: e.Description, Permissions: slices.Clone(e.Permissions)}
	case Renamed:
		r.def.Name = e.Name
	case Described:
		r.def.Description = e.Description
	case PermissionsChanged:
		r.def.Permissions = slices.Clone(e.Permissions)
	case Deleted:
		r.deleted = true
	default:
		return fmt.Errorf("role: cannot apply %T", e)
	}
	return nil
}

func (r *Role) record(events ...domain.Event) ([]domain.Event, error) {
	for _, e := range events {
		if err := r.apply(e); err != nil {
			return nil, err
		}
	}
	return events, nil
}

// Definition returns the role as the catalogue uses it.
func (r *Role) Definition() Definition { return r.def }

// Exists reports whether the role was created and not deleted.
func (r *Role) Exists() bool { return r.created && !r.deleted }

// ErrNoRole: the custom role does not exist (or was deleted).
var ErrNoRole = fmt.Errorf("role does not exist: %w", domain.ErrNotFound)

func (r *Role) mustExist() error {
	if !r.Exists() {
		return ErrNoRole
	}
	return nil
}

// Create defines a custom role. The key must be a new slug that is not a
// built-in role's; the permissions must be known ones (at least one).
func (r *Role) Create(key, name, description string, perms []Permission, now time.Time) ([]domain.Event, error) {
	if r.created {
		return nil, &domain.ConflictError{Field: "key", Code: "role_exists", Message: "a role with this key exists or existed"}
	}
	keyErr := CheckKey(key)
	if keyErr == nil && IsBuiltIn(key) {
		keyErr = &domain.ConflictError{Field: "key", Code: "built_in", Message: "is a built-in role"}
	}
	name, nameErr := text("name", name, MaxNameLength, true)
	description, descErr := text("description", description, MaxDescriptionLength, false)
	perms, permErr := normalizePermissions(perms)
	if err := domain.CollectValidation(keyErr, nameErr, descErr, permErr); err != nil {
		return nil, err
	}
	return r.record(Created{Key: key, Name: name, Description: description, Permissions: perms, At: now.Round(0).UTC()})
}

// Rename changes the display name; the same name changes nothing.
func (r *Role) Rename(name string, now time.Time) ([]domain.Event, error) {
	if err := r.mustExist(); err != nil {
		return nil, err
	}
	name, err := text("name", name, MaxNameLength, true)
	if err != nil || name == r.def.Name {
		return nil, err
	}
	return r.record(Renamed{Key: r.def.Key, Name: name, At: now.Round(0).UTC()})
}

// Describe changes the description; the same text changes nothing.
func (r *Role) Describe(description string, now time.Time) ([]domain.Event, error) {
	if err := r.mustExist(); err != nil {
		return nil, err
	}
	description, err := text("description", description, MaxDescriptionLength, false)
	if err != nil || description == r.def.Description {
		return nil, err
	}
	return r.record(Described{Key: r.def.Key, Description: description, At: now.Round(0).UTC()})
}

// ChangePermissions replaces the permissions; the same set changes nothing.
func (r *Role) ChangePermissions(perms []Permission, now time.Time) ([]domain.Event, error) {
	if err := r.mustExist(); err != nil {
		return nil, err
	}
	perms, err := normalizePermissions(perms)
	if err != nil || slices.Equal(perms, r.def.Permissions) {
		return nil, err
	}
	return r.record(PermissionsChanged{Key: r.def.Key, Permissions: perms, At: now.Round(0).UTC()})
}

// Delete removes the custom role for good.
func (r *Role) Delete(now time.Time) ([]domain.Event, error) {
	if err := r.mustExist(); err != nil {
		return nil, err
	}
	return r.record(Deleted{Key: r.def.Key, At: now.Round(0).UTC()})
}

func normalizePermissions(perms []Permission) ([]Permission, error) {
	var bad []domain.FieldError
	for _, p := range perms {
		if !Known(p) {
			bad = append(bad, domain.FieldError{Field: "permissions", Code: domain.CodeInvalid, Message: fmt.Sprintf("%q is not a known permission", p)})
		}
	}
	if bad != nil {
		return nil, &domain.ValidationError{Fields: bad}
	}
	if len(perms) == 0 {
		return nil, domain.Invalid("permissions", domain.CodeRequired, "a role grants at least one permission")
	}
	out := slices.Clone(perms)
	slices.Sort(out)
	return slices.Compact(out), nil
}

func text(field, s string, max int, required bool) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 }):
		return "", domain.Invalid(field, domain.CodeInvalid, "must be one line of text")
	case required && s == "":
		return "", domain.Invalid(field, domain.CodeRequired, "is required")
	case utf8.RuneCountInString(s) > max:
		return "", domain.Invalid(field, domain.CodeTooLong, fmt.Sprintf("must be at most %d characters", max))
	}
	return s, nil
}
