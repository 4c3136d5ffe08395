package role

import "slices"

// Keys of the built-in roles.
const (
	Member      = "member"
	Author      = "author"
	Expert      = "expert"
	Vendor      = "vendor"
	OrgAdmin    = "org_admin"
	SystemAdmin = "system_admin"
)

// Definition is a role as the catalogue knows it.
type Definition struct {
	Key         string
	Name        string
	Description string
	Permissions []Permission // sorted, without duplicates
	BuiltIn     bool
}

// BuiltIn returns the built-in roles of the product spec. Inheritance is
// resolved: Author is Member plus designing activities, Vendor is Author
// plus commerce. The Org Admin is a Member who also manages its
// organization and its users: it may then grant the Member role its
// users get by default, and manage users who hold it. The System Admin
// holds every permission.
func BuiltIn() []Definition {
	member := []Permission{RunActivities, AccessWorkspace}
	author := append(slices.Clone(member), DesignActivities)
	defs := []Definition{
		{Key: Member, Name: "Member", Description: "Standard user: runs activities, accesses the workspace", Permissions: member},
		{Key: Author, Name: "Author", Description: "Activity creator: Member plus designing activities", Permissions: author},
		{Key: Expert, Name: "Expert", Description: "Mentor or coach: Member plus mentoring features", Permissions: append(slices.Clone(member), Mentor)},
		{Key: Vendor, Name: "Vendor", Description: "Marketplace seller: Author plus commerce features", Permissions: append(slices.Clone(author), Sell)},
		{Key: OrgAdmin, Name: "Org Admin", Description: "Organization admin: Member plus managing the organization and its users", Permissions: append(slices.Clone(member), ManageOrg, ReadUsers, WriteUsers, ReadReports)},
		{Key: SystemAdmin, Name: "System Admin", Description: "Full platform access", Permissions: All()},
	}
	for i := range defs {
		slices.Sort(defs[i].Permissions)
		defs[i].Permissions = slices.Compact(defs[i].Permissions)
		defs[i].BuiltIn = true
	}
	return defs
}

// IsBuiltIn reports whether key names a built-in role.
func IsBuiltIn(key string) bool {
	return slices.ContainsFunc(BuiltIn(), func(d Definition) bool { return d.Key == key })
}
