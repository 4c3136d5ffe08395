// Package role is the role catalogue: the built-in roles of the product
// spec, custom roles an admin defines (an event-sourced aggregate), and how
// a user's permissions combine across the roles it holds directly, through
// its organization and through its teams.
package role

import (
	"slices"
)

// Permission is a capability string, "<area>:<action>".
type Permission string

// The permissions the service knows. Custom roles may only grant these, so
// a typo never becomes a permission nobody checks.
const (
	RunActivities    Permission = "activities:run"
	AccessWorkspace  Permission = "workspace:access"
	DesignActivities Permission = "activities:design"
	Mentor           Permission = "mentoring:use"
	Sell             Permission = "commerce:sell"
	ManageOrg        Permission = "org:manage"
	ReadUsers        Permission = "users:read"
	WriteUsers       Permission = "users:write"
	ManageRoles      Permission = "roles:manage"
	ReadReports      Permission = "reports:read"
	ReadAudit        Permission = "audit:read"
	ManageSettings   Permission = "settings:manage"
)

// All lists every known permission, sorted.
func All() []Permission {
	all := []Permission{RunActivities, AccessWorkspace, DesignActivities, Mentor, Sell, ManageOrg,
		ReadUsers, WriteUsers, ManageRoles, ReadReports, ReadAudit, ManageSettings}
	slices.Sort(all)
	return all
}

// Known reports whether p is a permission the service knows.
func Known(p Permission) bool {
	return slices.Contains(All(), p)
}
