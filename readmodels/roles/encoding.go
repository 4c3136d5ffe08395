package roles

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/clarynext/usermgmt/domain/role"
)

// docJSON is a custom role in P docs; the key is the hash field. Times are
// RFC 3339 strings in UTC ("" for the zero time).
type docJSON struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Permissions []role.Permission `json:"permissions"`
	Deleted     bool              `json:"deleted,omitempty"`
	Created     string            `json:"created"`
	Updated     string            `json:"updated"`
	Revision    int64             `json:"revision"`
}

// definitionJSON is a live custom role in P catalogue: only what
// role.Definition needs, so the hot read decodes little.
type definitionJSON struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Permissions []role.Permission `json:"permissions"`
}

func encodeDoc(r Role) string {
	return mustJSON(docJSON{
		Name: r.Name, Description: r.Description, Permissions: r.Permissions, Deleted: r.Deleted,
		Created: formatTime(r.Created), Updated: formatTime(r.Updated), Revision: r.Revision,
	})
}

func decodeDoc(key, raw string) (Role, error) {
	var d docJSON
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return Role{}, fmt.Errorf("decode role doc: %w", err)
	}
	created, err := parseTime(d.Created)
	if err != nil {
		return Role{}, err
	}
	updated, err := parseTime(d.Updated)
	if err != nil {
		return Role{}, err
	}
	return Role{
		Key: key, Name: d.Name, Description: d.Description, Permissions: d.Permissions, Deleted: d.Deleted,
		Created: created, Updated: updated, Revision: d.Revision,
	}, nil
}

func encodeDefinition(r Role) string {
	return mustJSON(definitionJSON{Name: r.Name, Description: r.Description, Permissions: r.Permissions})
}

func decodeDefinition(key, raw string) (role.Definition, error) {
	var d definitionJSON
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return role.Definition{}, fmt.Errorf("decode role definition: %w", err)
	}
	return role.Definition{Key: key, Name: d.Name, Description: d.Description, Permissions: d.Permissions}, nil
}

// mustJSON encodes v, a value of strings, string slices, bools and
// integers only, whose encoding cannot fail.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("roles: encode %T: %v", v, err))
	}
	return string(b)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("decode role time %q: %w", s, err)
	}
	return t, nil
}
