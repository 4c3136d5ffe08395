package users

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Doc is one user as the read side knows it: the details view and the row
// of the user list.
type Doc struct {
	ID uuid.UUID
	// Num is the user's dense number, the offset of its bit in every
	// bitmap. It comes from Store.Number; Get fills it.
	Num int64
	// Revision is the revision of the user's stream this doc reflects (the
	// ETag an If-Match can send back).
	Revision  int64
	Email     string
	FirstName string
	LastName  string
	// Roles are role keys; none may be empty or hold a comma.
	Roles []string
	// Org is the organization's ID, empty for none.
	Org string
	// OrgRole is the user's role key within Org, empty for none.
	OrgRole string
	// Teams are the user's team memberships; IDs and roles may hold
	// neither a comma nor a colon.
	Teams []Team
	// Locked is set while the account is locked after failed logins;
	// LockedUntil is when a temporary lock ends (zero: permanent).
	Locked      bool
	LockedUntil time.Time
	// TwoFactor is set while the user has a confirmed second factor.
	TwoFactor bool
	// Status is required (e.g. "active", "suspended", "invited",
	// "unverified").
	Status  string
	Created time.Time
	// Invitation is the state of the user's latest invitation link: "" if
	// none was ever sent, else InvitationPending, InvitationRevoked or
	// InvitationAccepted. InvitationExpiresAt is when the pending link
	// stops working (zero unless pending; a pending link may have expired
	// since); InvitationSentAt is when the latest one was sent.
	Invitation          string
	InvitationExpiresAt time.Time
	InvitationSentAt    time.Time
	// Source says who created the user: "" for an admin or an import,
	// "registration" for a self-registration.
	Source string
	// Attributes are the additional profile fields a self-registration
	// collected (key -> canonical value). They are personal data: an
	// anonymizing deletion clears them with the name and email.
	Attributes map[string]string
	// LastLogin is the zero time until the user first logs in; such users
	// sort before every login in ascending last-login order.
	LastLogin time.Time
	Deleted   bool
	// Notes are the admin notes, oldest first. Search leaves them out; Get
	// returns them.
	Notes []Note
}

// Team is one team membership of a user.
type Team struct {
	ID   string `json:"id"`
	Role string `json:"role,omitempty"`
}

// LockedAt reports whether the lock holds at now: a temporary lock ends by
// itself, before the projector hears of it.
func (d Doc) LockedAt(now time.Time) bool {
	return d.Locked && (d.LockedUntil.IsZero() || now.Before(d.LockedUntil))
}

// Note is an admin note on a user.
type Note struct {
	ID     uuid.UUID `json:"id"`
	At     time.Time `json:"at"`
	Author string    `json:"author"`
	Text   string    `json:"text"`
}

// Fields of the details hash. Short names keep the hash a small listpack.
const (
	fieldID        = "id"
	fieldRevision  = "rv"
	fieldEmail     = "em"
	fieldFirstName = "fn"
	fieldLastName  = "ln"
	fieldRoles     = "ro"
	fieldOrg       = "og"
	fieldOrgRole   = "or"
	fieldTeams     = "tm" // "<id>:<role>,..."
	fieldLocked    = "lk" // lock end in Unix ms, 0 when permanent; absent when not locked
	fieldTwoFactor = "2f" // "1", absent without a second factor
	fieldStatus    = "st"
	fieldCreated   = "cr" // Unix ms
	fieldLastLogin = "ll" // Unix ms, absent until the first login
	fieldDeleted   = "dl" // "1", absent when not deleted
	// Invitation, sign-up source and attributes; each absent when empty.
	fieldInvitation        = "iv" // invitation state
	fieldInvitationExpires = "ie" // Unix ms
	fieldInvitationSent    = "is" // Unix ms
	fieldSource            = "so"
	fieldAttributes        = "at" // JSON object of strings
	// The user's members of the sort indexes, which search.lua sorts
	// gathered users by; for the status order "<status>\x00<name member>".
	fieldNameMember    = "sn"
	fieldEmailMember   = "se"
	fieldCreatedMember = "sc"
	fieldLoginMember   = "sl"
	fieldStatusMember  = "ss"
)

// validate checks what the indexes rely on.
func (d Doc) validate() error {
	switch {
	case d.ID == uuid.Nil:
		return fmt.Errorf("%w: nil ID", ErrInvalidDoc)
	case d.Num <= 0 || d.Num > maxNum:
		return fmt.Errorf("%w: user %s: number %d out of range (use Store.Number)", ErrInvalidDoc, d.ID, d.Num)
	case d.Status == "" || strings.ContainsRune(d.Status, 0):
		return fmt.Errorf("%w: user %s: status %q", ErrInvalidDoc, d.ID, d.Status)
	}
	for _, r := range d.Roles {
		if r == "" || strings.ContainsAny(r, ",\x00") {
			return fmt.Errorf("%w: user %s: role %q", ErrInvalidDoc, d.ID, r)
		}
	}
	for _, t := range d.Teams {
		if t.ID == "" || strings.ContainsAny(t.ID+t.Role, ",:\x00") {
			return fmt.Errorf("%w: user %s: team %q role %q", ErrInvalidDoc, d.ID, t.ID, t.Role)
		}
	}
	if d.Invitation != "" && !slices.Contains(invitationStates, d.Invitation) {
		return fmt.Errorf("%w: user %s: invitation state %q", ErrInvalidDoc, d.ID, d.Invitation)
	}
	return nil
}

// hashFields returns the details hash of d (its non-empty fields) as
// field/value pairs; e are d's index entries.
func (d Doc) hashFields(e entries) []any {
	f := []any{
		fieldID, d.ID.String(),
		fieldRevision, d.Revision,
		fieldEmail, d.Email,
		fieldFirstName, d.FirstName,
		fieldLastName, d.LastName,
		fieldStatus, d.Status,
		fieldCreated, unixMilli(d.Created),
	}
	f = append(f,
		fieldNameMember, e.sorts[indexName],
		fieldEmailMember, e.sorts[indexEmail],
		fieldCreatedMember, e.sorts[indexCreated],
		fieldLoginMember, e.sorts[indexLogin],
		fieldStatusMember, d.Status+"\x00"+e.sorts[indexName],
	)
	if roles := d.roleSet(); len(roles) > 0 {
		f = append(f, fieldRoles, strings.Join(roles, ","))
	}
	if d.Org != "" {
		f = append(f, fieldOrg, d.Org)
	}
	if d.OrgRole != "" {
		f = append(f, fieldOrgRole, d.OrgRole)
	}
	if len(d.Teams) > 0 {
		parts := make([]string, len(d.Teams))
		for i, t := range d.Teams {
			parts[i] = t.ID + ":" + t.Role
		}
		f = append(f, fieldTeams, strings.Join(parts, ","))
	}
	if d.Locked {
		f = append(f, fieldLocked, unixMilli(d.LockedUntil))
	}
	if d.TwoFactor {
		f = append(f, fieldTwoFactor, "1")
	}
	if !d.LastLogin.IsZero() {
		f = append(f, fieldLastLogin, unixMilli(d.LastLogin))
	}
	if d.Deleted {
		f = append(f, fieldDeleted, "1")
	}
	if d.Invitation != "" {
		f = append(f, fieldInvitation, d.Invitation)
	}
	if !d.InvitationExpiresAt.IsZero() {
		f = append(f, fieldInvitationExpires, unixMilli(d.InvitationExpiresAt))
	}
	if !d.InvitationSentAt.IsZero() {
		f = append(f, fieldInvitationSent, unixMilli(d.InvitationSentAt))
	}
	if d.Source != "" {
		f = append(f, fieldSource, d.Source)
	}
	if len(d.Attributes) > 0 {
		f = append(f, fieldAttributes, encodeAttributes(d.Attributes))
	}
	return f
}

// emptyFields are the optional hash fields d leaves out, which Put deletes.
func (d Doc) emptyFields() []string {
	var out []string
	if len(d.Roles) == 0 {
		out = append(out, fieldRoles)
	}
	if d.Org == "" {
		out = append(out, fieldOrg)
	}
	if d.OrgRole == "" {
		out = append(out, fieldOrgRole)
	}
	if len(d.Teams) == 0 {
		out = append(out, fieldTeams)
	}
	if !d.Locked {
		out = append(out, fieldLocked)
	}
	if !d.TwoFactor {
		out = append(out, fieldTwoFactor)
	}
	if d.LastLogin.IsZero() {
		out = append(out, fieldLastLogin)
	}
	if !d.Deleted {
		out = append(out, fieldDeleted)
	}
	if d.Invitation == "" {
		out = append(out, fieldInvitation)
	}
	if d.InvitationExpiresAt.IsZero() {
		out = append(out, fieldInvitationExpires)
	}
	if d.InvitationSentAt.IsZero() {
		out = append(out, fieldInvitationSent)
	}
	if d.Source == "" {
		out = append(out, fieldSource)
	}
	if len(d.Attributes) == 0 {
		out = append(out, fieldAttributes)
	}
	return out
}

// roleSet returns d's roles without duplicates, in order.
func (d Doc) roleSet() []string {
	seen := make(map[string]bool, len(d.Roles))
	var out []string
	for _, r := range d.Roles {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// docFromHash decodes a details hash; num is the user's dense number.
func docFromHash(num int64, h map[string]string) (Doc, error) {
	id, err := uuid.Parse(h[fieldID])
	if err != nil {
		return Doc{}, fmt.Errorf("user %d: details hash: id: %w", num, err)
	}
	d := Doc{
		ID:         id,
		Num:        num,
		Email:      h[fieldEmail],
		FirstName:  h[fieldFirstName],
		LastName:   h[fieldLastName],
		Org:        h[fieldOrg],
		OrgRole:    h[fieldOrgRole],
		Status:     h[fieldStatus],
		Deleted:    h[fieldDeleted] == "1",
		TwoFactor:  h[fieldTwoFactor] == "1",
		Source:     h[fieldSource],
		Invitation: h[fieldInvitation],
	}
	if v := h[fieldRoles]; v != "" {
		d.Roles = strings.Split(v, ",")
	}
	if v := h[fieldTeams]; v != "" {
		for _, part := range strings.Split(v, ",") {
			id, role, _ := strings.Cut(part, ":")
			d.Teams = append(d.Teams, Team{ID: id, Role: role})
		}
	}
	if v, ok := h[fieldLocked]; ok {
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return Doc{}, fmt.Errorf("user %d: details hash: lock: %w", num, err)
		}
		d.Locked = true
		if ms > 0 {
			d.LockedUntil = time.UnixMilli(ms).UTC()
		}
	}
	if v, ok := h[fieldRevision]; ok {
		if d.Revision, err = strconv.ParseInt(v, 10, 64); err != nil {
			return Doc{}, fmt.Errorf("user %d: details hash: revision: %w", num, err)
		}
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{
		{fieldCreated, &d.Created}, {fieldLastLogin, &d.LastLogin},
		{fieldInvitationExpires, &d.InvitationExpiresAt}, {fieldInvitationSent, &d.InvitationSentAt},
	} {
		if v, ok := h[f.name]; ok {
			ms, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return Doc{}, fmt.Errorf("user %d: details hash: %s: %w", num, f.name, err)
			}
			*f.dst = time.UnixMilli(ms).UTC()
		}
	}
	if d.Attributes, err = decodeAttributes(h[fieldAttributes]); err != nil {
		return Doc{}, fmt.Errorf("user %d: details hash: %w", num, err)
	}
	return d, nil
}

// encodeNotes returns the JSON stored for notes, "" for none.
func encodeNotes(notes []Note) (string, error) {
	if len(notes) == 0 {
		return "", nil
	}
	b, err := json.Marshal(notes)
	if err != nil {
		return "", fmt.Errorf("encode notes: %w", err)
	}
	return string(b), nil
}

func decodeNotes(s string) ([]Note, error) {
	if s == "" {
		return nil, nil
	}
	var notes []Note
	if err := json.Unmarshal([]byte(s), &notes); err != nil {
		return nil, fmt.Errorf("decode notes: %w", err)
	}
	return notes, nil
}

// encodeAttributes returns the JSON stored for non-empty attributes: an
// object with its keys sorted, so equal attributes store equal bytes.
func encodeAttributes(attrs map[string]string) string {
	// A map of strings always marshals; invalid UTF-8 becomes U+FFFD.
	b, _ := json.Marshal(attrs)
	return string(b)
}

// decodeAttributes reads encodeAttributes' JSON; "" is no attributes (nil).
func decodeAttributes(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	var attrs map[string]string
	if err := json.Unmarshal([]byte(s), &attrs); err != nil {
		return nil, fmt.Errorf("decode attributes: %w", err)
	}
	return attrs, nil
}

// unixMilli is t in Unix milliseconds, 0 for the zero time.
func unixMilli(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
