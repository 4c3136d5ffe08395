package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/clarynext/usermgmt/domain/role"
	"github.com/clarynext/usermgmt/infra/useragent"
)

// addRoutes lists every route of the service in one place, each with the
// permission it needs. Every /v1 route but login needs a bearer session.
func addRoutes(r *mux.Router, deps Deps) {
	r.Handle("/healthz", handleHealthz()).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/readyz", handleReadyz(deps.Ready)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/metrics", promhttp.HandlerFor(deps.Registry, promhttp.HandlerOpts{})).Methods(http.MethodGet)
	r.Handle("/openapi.yaml", handleOpenAPI()).Methods(http.MethodGet)

	if deps.Users == nil || deps.Queries == nil {
		return
	}
	authn := authAPI{deps: deps, agents: useragent.NewParser(), catalogue: newCatalogueCache(deps.Catalogue, deps.CatalogueTTL),
		actors: newUserCache(deps.UserLoader, defaultUserCacheSize, userCacheTTL)}
	// Login is public and never idempotency-cached: its answer holds a token.
	r.HandleFunc("/v1/auth/login", authn.login).Methods(http.MethodPost)
	if deps.SecondFactors != nil {
		r.HandleFunc("/v1/auth/login/second-factor", authn.loginSecondFactor).Methods(http.MethodPost)
	}

	onboarding := newOnboardingAPI(deps)
	if deps.Onboarding != nil {
		// Public: the person following an emailed link has no session.
		r.HandleFunc("/v1/auth/forgot-password", onboarding.forgotPassword).Methods(http.MethodPost)
		r.HandleFunc("/v1/auth/reset-password", onboarding.followLink("/reset-password")).Methods(http.MethodPost)
		r.HandleFunc("/v1/invitations/accept", onboarding.followLink("/accept-invitation")).Methods(http.MethodPost)
		r.HandleFunc("/v1/registrations/verify", onboarding.followLink("/verify-email")).Methods(http.MethodPost)
		r.HandleFunc("/v1/registrations/resend-verification", onboarding.resendVerification).Methods(http.MethodPost)
		// The pages the emailed links open.
		for _, path := range []string{"/accept-invitation", "/reset-password", "/verify-email"} {
			r.HandleFunc(path, onboarding.showLinkPage(path)).Methods(http.MethodGet)
			r.HandleFunc(path, onboarding.submitLinkPage(path)).Methods(http.MethodPost)
		}
	}
	if deps.SignUps != nil && deps.Registration != nil {
		r.HandleFunc("/v1/registrations", onboarding.register).Methods(http.MethodPost)
	}

	v1 := r.PathPrefix("/v1").Subrouter()
	v1.Use(authn.authenticate)
	v1.Use(func(next http.Handler) http.Handler { return refuseCommandQuery(deps.Logger, next) })
	idem := &idempotency{rdb: deps.Redis, prefix: deps.Prefix, logger: deps.Logger}
	v1.Use(func(next http.Handler) http.Handler { return idem.wrap(actorScope, next) })

	v1.HandleFunc("/auth/logout", authn.logout).Methods(http.MethodPost)
	v1.HandleFunc("/me", authn.me).Methods(http.MethodGet)

	users := usersAPI{deps: deps}
	v1.HandleFunc("/me/password", users.changeOwnPassword).Methods(http.MethodPut)
	if deps.SecondFactors != nil {
		v1.HandleFunc("/me/second-factor/totp", authn.startTOTP).Methods(http.MethodPost)
		v1.HandleFunc("/me/second-factor/totp/confirm", authn.confirmTOTP).Methods(http.MethodPost)
		v1.Handle("/users/{id}/second-factor", guard(role.WriteUsers, users.resetSecondFactor)).Methods(http.MethodDelete)
	}
	v1.Handle("/users", guard(role.WriteUsers, users.create)).Methods(http.MethodPost)
	v1.Handle("/users", guard(role.ReadUsers, users.search)).Methods(http.MethodGet)
	v1.Handle("/users/{id}", guard(role.ReadUsers, users.get)).Methods(http.MethodGet)
	v1.Handle("/users/{id}", guard(role.WriteUsers, users.edit)).Methods(http.MethodPatch)
	v1.Handle("/users/{id}", guard(role.WriteUsers, users.delete)).Methods(http.MethodDelete)
	v1.Handle("/users/{id}/suspend", guard(role.WriteUsers, users.suspend)).Methods(http.MethodPost)
	v1.Handle("/users/{id}/reactivate", guard(role.WriteUsers, users.reactivate)).Methods(http.MethodPost)
	v1.Handle("/users/{id}/notes", guard(role.WriteUsers, users.addNote)).Methods(http.MethodPost)
	v1.Handle("/users/{id}/password", guard(role.WriteUsers, users.resetPassword)).Methods(http.MethodPut)
	if deps.Onboarding != nil {
		v1.Handle("/users/{id}/password/reset-email", guard(role.WriteUsers, users.sendPasswordReset)).Methods(http.MethodPost)
		v1.Handle("/users/{id}/invitation/resend", guard(role.WriteUsers, users.resendInvitation)).Methods(http.MethodPost)
		v1.Handle("/users/{id}/invitation", guard(role.WriteUsers, users.revokeInvitation)).Methods(http.MethodDelete)
	}
	v1.Handle("/users/{id}/login-history", guard(role.ReadUsers, users.loginHistory)).Methods(http.MethodGet)
	v1.Handle("/users/{id}/lockout", guard(role.ReadUsers, users.lockout)).Methods(http.MethodGet)
	v1.Handle("/users/{id}/lockout/clear", guard(role.WriteUsers, users.clearLockout)).Methods(http.MethodPost)
	v1.Handle("/users/{id}/permissions", guard(role.ReadUsers, users.permissions)).Methods(http.MethodGet)
	v1.Handle("/users/{id}/permissions/explain", guard(role.ReadUsers, users.explain)).Methods(http.MethodGet)
	v1.Handle("/users/{id}/org-role", guard(role.WriteUsers, users.setOrgRole)).Methods(http.MethodPut)
	v1.Handle("/users/{id}/teams/{team}", guard(role.WriteUsers, users.joinTeam)).Methods(http.MethodPut)
	v1.Handle("/users/{id}/teams/{team}", guard(role.WriteUsers, users.leaveTeam)).Methods(http.MethodDelete)
	v1.Handle("/users/{id}/transfer", guardGlobal(users.transfer)).Methods(http.MethodPost)

	roles := rolesAPI{deps: deps}
	v1.Handle("/roles", guard(role.ReadUsers, roles.list)).Methods(http.MethodGet)
	v1.Handle("/roles", guardGlobal(roles.create)).Methods(http.MethodPost)
	v1.Handle("/roles/distribution", guard(role.ReadReports, roles.distribution)).Methods(http.MethodGet)
	v1.Handle("/roles/{key}", guard(role.ReadUsers, roles.get)).Methods(http.MethodGet)
	v1.Handle("/roles/{key}", guardGlobal(roles.edit)).Methods(http.MethodPatch)
	v1.Handle("/roles/{key}", guardGlobal(roles.delete)).Methods(http.MethodDelete)

	orgs := orgsAPI{deps: deps}
	v1.Handle("/orgs", guard(role.ManageOrg, orgs.list)).Methods(http.MethodGet)
	v1.Handle("/orgs", guardGlobal(orgs.create)).Methods(http.MethodPost)
	v1.Handle("/orgs/{org}", guard(role.ManageOrg, orgs.get)).Methods(http.MethodGet)
	v1.Handle("/orgs/{org}", guard(role.ManageOrg, orgs.rename)).Methods(http.MethodPatch)
	v1.Handle("/orgs/{org}/archive", guardGlobal(orgs.archive)).Methods(http.MethodPost)
	v1.Handle("/orgs/{org}/teams", guard(role.ManageOrg, orgs.createTeam)).Methods(http.MethodPost)
	v1.Handle("/orgs/{org}/teams/{team}", guard(role.ManageOrg, orgs.renameTeam)).Methods(http.MethodPatch)
	v1.Handle("/orgs/{org}/teams/{team}", guard(role.ManageOrg, orgs.deleteTeam)).Methods(http.MethodDelete)

	settings := settingsAPI{deps: deps}
	v1.Handle("/settings/lockout", guard(role.ManageSettings, settings.getLockout)).Methods(http.MethodGet)
	v1.Handle("/settings/lockout", guardGlobal(settings.putLockout)).Methods(http.MethodPut)
	if deps.Passwords != nil {
		v1.Handle("/settings/password-policy", guard(role.ManageSettings, getSettings(deps, settings.passwordPolicy))).Methods(http.MethodGet)
		v1.Handle("/settings/password-policy", guardGlobal(putSettings(deps, nil, deps.Passwords.SetPasswordPolicy))).Methods(http.MethodPut)
	}
	if deps.Registration != nil {
		v1.Handle("/settings/registration", guard(role.ManageSettings, getSettings(deps, deps.Registration.Settings))).Methods(http.MethodGet)
		v1.Handle("/settings/registration", guardGlobal(putSettings(deps, settings.checkRegistrationRefs, deps.Registration.SetSettings))).Methods(http.MethodPut)
	}
	if deps.SecondFactors != nil {
		v1.Handle("/settings/two-factor", guard(role.ManageSettings, getSettings(deps, deps.SecondFactors.Policy))).Methods(http.MethodGet)
		v1.Handle("/settings/two-factor", guardGlobal(putSettings(deps, nil, deps.SecondFactors.SetPolicy))).Methods(http.MethodPut)
	}
}
