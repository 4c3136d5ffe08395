package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// addRoutes lists every route of the service in one place.
func addRoutes(r *mux.Router, deps Deps) {
	r.Handle("/healthz", handleHealthz()).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/readyz", handleReadyz(deps.Ready)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/metrics", promhttp.HandlerFor(deps.Registry, promhttp.HandlerOpts{})).Methods(http.MethodGet)
	r.Handle("/openapi.yaml", handleOpenAPI()).Methods(http.MethodGet)

	if deps.Users == nil || deps.Queries == nil {
		return
	}
	v1 := r.PathPrefix("/v1").Subrouter()
	v1.Use(requireValidActor)
	idem := &idempotency{rdb: deps.Redis, prefix: deps.Prefix, logger: deps.Logger}
	v1.Use(func(next http.Handler) http.Handler { return idem.wrap(actorScope, next) })

	users := usersAPI{deps: deps}
	v1.HandleFunc("/users", users.create).Methods(http.MethodPost)
	v1.HandleFunc("/users", users.search).Methods(http.MethodGet)
	v1.HandleFunc("/users/{id}", users.get).Methods(http.MethodGet)
	v1.HandleFunc("/users/{id}", users.edit).Methods(http.MethodPatch)
	v1.HandleFunc("/users/{id}", users.delete).Methods(http.MethodDelete)
	v1.HandleFunc("/users/{id}/suspend", users.suspend).Methods(http.MethodPost)
	v1.HandleFunc("/users/{id}/reactivate", users.reactivate).Methods(http.MethodPost)
	v1.HandleFunc("/users/{id}/notes", users.addNote).Methods(http.MethodPost)
}
