package org

import (
	"fmt"
	"strings"

	"github.com/clarynext/usermgmt/domain"
)

// StreamPrefix starts the name of every organization stream, "org-{id}".
// Command handlers append to Stream(id); projectors subscribe with this
// prefix.
const StreamPrefix = "org-"

// Stream is the name of the event stream of the organization id. The ID
// must have passed ValidateID.
func Stream(id string) string { return StreamPrefix + id }

// MaxIDLength bounds an organization ID.
const MaxIDLength = 128

// ValidateID checks that id is an organization ID: 1 to 128 ASCII letters,
// digits, '-', '_', '.' and ':', so it can go into stream names and
// read-model keys unescaped. It is the rule package user applies to a
// user's organization ID (which also trims spaces and takes "" for "no
// organization"); the tests keep the two in step. Errors are
// *domain.ValidationError on the field "id".
func ValidateID(id string) error {
	switch {
	case id == "":
		return domain.Invalid("id", domain.CodeRequired, "organization ID is required")
	case len(id) > MaxIDLength:
		return domain.Invalid("id", domain.CodeTooLong, fmt.Sprintf("must be at most %d characters", MaxIDLength))
	}
	for i := 0; i < len(id); i++ {
		if !idByte(id[i]) {
			return domain.Invalid("id", domain.CodeInvalid, "must be an organization ID (ASCII letters, digits, '-', '_', '.' and ':')")
		}
	}
	return nil
}

func idByte(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strings.IndexByte("-_.:", c) >= 0
}
