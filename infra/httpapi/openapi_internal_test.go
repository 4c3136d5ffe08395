package httpapi

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/clarynext/usermgmt/commands"
	"github.com/clarynext/usermgmt/domain/user"
	"github.com/clarynext/usermgmt/readmodels/users"
)

// TestEveryRouteIsDocumented walks the router and the OpenAPI document and
// checks that they list the same operations.
func TestEveryRouteIsDocumented(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPIDoc)
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI 3 document: %v", err)
	}

	r := mux.NewRouter()
	addRoutes(r, Deps{
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		Registry:      prometheus.NewRegistry(),
		Users:         noCommands{},
		Queries:       noQueries{},
		SecondFactors: noSecondFactors{},
		Onboarding:    noOnboarding{},
		SignUps:       noSignUps{},
		Registration:  noRegistration{},
		Passwords:     noPasswords{},
	})
	var routed []string
	err = r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := route.GetPathTemplate()
		if err != nil {
			return nil
		}
		methods, err := route.GetMethods()
		if err != nil {
			return nil // a subrouter's prefix
		}
		for _, m := range methods {
			routed = append(routed, m+" "+path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(routed)
	slices.Sort(documented)
	for _, op := range routed {
		if !slices.Contains(documented, op) {
			t.Errorf("route %s is not in openapi.yaml", op)
		}
	}
	for _, op := range documented {
		if !slices.Contains(routed, op) {
			t.Errorf("openapi.yaml documents %s, which no route serves", op)
		}
	}
	if len(routed) < 10 {
		t.Fatalf("only %d routes walked: %v", len(routed), routed)
	}
}

// noCommands and noQueries satisfy the interfaces for route listing only.
type noCommands struct{}

func (noCommands) Create(context.Context, commands.Metadata, commands.CreateUser) (commands.Result, error) {
	return commands.Result{}, nil
}

func (noCommands) Edit(context.Context, commands.Metadata, uuid.UUID, *uint64, user.Patch) (commands.Result, error) {
	return commands.Result{}, nil
}

func (noCommands) Suspend(context.Context, commands.Metadata, uuid.UUID, *uint64, string) (commands.Result, error) {
	return commands.Result{}, nil
}

func (noCommands) Reactivate(context.Context, commands.Metadata, uuid.UUID, *uint64) (commands.Result, error) {
	return commands.Result{}, nil
}

func (noCommands) Delete(context.Context, commands.Metadata, uuid.UUID, *uint64, user.DataHandling) (commands.Result, error) {
	return commands.Result{}, nil
}

func (noCommands) AddNote(context.Context, commands.Metadata, uuid.UUID, *uint64, string) (commands.Result, error) {
	return commands.Result{}, nil
}

type noQueries struct{}

func (noQueries) Get(context.Context, uuid.UUID) (users.Doc, error) { return users.Doc{}, nil }

func (noQueries) Search(context.Context, users.Query) (users.Page, error) { return users.Page{}, nil }

func (noCommands) ChangePassword(context.Context, commands.Metadata, uuid.UUID, *uint64, string) (commands.Result, error) {
	return commands.Result{}, nil
}

func (noCommands) SetTemporaryPassword(context.Context, commands.Metadata, uuid.UUID, *uint64, string) (commands.Result, error) {
	return commands.Result{}, nil
}

// noSecondFactors makes the second-factor routes exist.
type noSecondFactors struct{ SecondFactors }

type (
	noOnboarding   struct{ OnboardingCommands }
	noSignUps      struct{ SignUpCommands }
	noRegistration struct{ RegistrationSettings }
	noPasswords    struct{ PasswordPolicies }
)

func (noCommands) ChangeOwnPassword(context.Context, commands.Metadata, uuid.UUID, *uint64, string, string) (commands.Result, error) {
	return commands.Result{}, nil
}
