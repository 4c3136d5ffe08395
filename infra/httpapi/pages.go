package httpapi

import (
	"embed"
	"errors"
	"html/template"
	"net/http"

	"github.com/clarynext/usermgmt/domain"
)

// The pages behind the emailed links (their JSON twins are followLink): a person follows a link, sees a
// form (a password to choose, or a button), and the form posts back to
// the same address. They call the same commands as the JSON API; the
// token travels in the page, never in a cookie, so there is nothing for
// a cross-site request to ride on.

//go:embed pages/*.html
var pageFS embed.FS

var pageTemplates = template.Must(template.ParseFS(pageFS, "pages/*.html"))

// page is what the layout shows.
type page struct {
	Title, Message string
	Errors         []string
	Form, Password bool
	Button         string
	Token          string
}

// linkPage describes one kind of link page.
type linkPage struct {
	title, button, done string
	password            bool
	// act runs the command with the posted token and password.
	act func(a onboardingAPI, r *http.Request, token, password string) error
	// limits are the rate limits a submission counts against.
	limits func(l PublicLimits, ip, token string) []limitCheck
}

func linkLimits(l PublicLimits, ip, token string) []limitCheck { return l.link(ip, token) }

func verifyLimits(l PublicLimits, ip, token string) []limitCheck {
	return l.verify(ip, tokenKey(token))
}

var linkPages = map[string]linkPage{
	"/accept-invitation": {
		title: "Accept your invitation", button: "Set password and activate", password: true, limits: linkLimits,
		done: "Your account is active. You can log in now.",
		act: func(a onboardingAPI, r *http.Request, token, pw string) error {
			_, err := a.deps.Onboarding.AcceptInvitation(r.Context(), metadata(r), token, pw)
			return err
		},
	},
	"/reset-password": {
		title: "Choose a new password", button: "Set new password", password: true, limits: linkLimits,
		done: "Your password is changed, and every session that used the old one has ended.",
		act: func(a onboardingAPI, r *http.Request, token, pw string) error {
			res, err := a.deps.Onboarding.CompletePasswordReset(r.Context(), metadata(r), token, pw)
			if err == nil {
				revokeSessions(r.Context(), a.deps, res.ID)
			}
			return err
		},
	},
	"/verify-email": {
		title: "Verify your email address", button: "Choose password and activate", password: true, limits: verifyLimits,
		done: "Your email address is verified and your account is active. You can log in now.",
		act: func(a onboardingAPI, r *http.Request, token, pw string) error {
			_, err := a.deps.Onboarding.VerifyEmail(r.Context(), metadata(r), token, pw)
			return err
		},
	},
}

// showLinkPage renders the form of a link page. Following a link changes
// nothing (mail scanners follow links too); only the form's POST does.
func (a onboardingAPI) showLinkPage(path string) http.HandlerFunc {
	lp := linkPages[path]
	return func(w http.ResponseWriter, r *http.Request) {
		token := r.URL.Query().Get("token")
		if token == "" {
			renderPage(w, http.StatusBadRequest, page{Title: lp.title, Errors: []string{"The link is incomplete: it has no token."}})
			return
		}
		renderPage(w, http.StatusOK, page{Title: lp.title, Form: true, Password: lp.password, Button: lp.button, Token: token})
	}
}

// submitLinkPage runs the link's command from the posted form.
func (a onboardingAPI) submitLinkPage(path string) http.HandlerFunc {
	lp := linkPages[path]
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
		if err := r.ParseForm(); err != nil {
			renderPage(w, http.StatusBadRequest, page{Title: lp.title, Errors: []string{"The form could not be read."}})
			return
		}
		token, pw := r.PostForm.Get("token"), r.PostForm.Get("password")
		if !withinLimits(a.deps, w, r, lp.limits(a.deps.PublicLimits.withDefaults(), metadata(r).ClientIP, token)) {
			return
		}
		err := requireToken(token)
		if err == nil {
			err = lp.act(a, r, token, pw)
		}
		a.answerLinkPage(w, r, path, lp, token, err)
	}
}

// answerLinkPage renders the outcome err of a link page's command.
func (a onboardingAPI) answerLinkPage(w http.ResponseWriter, r *http.Request, path string, lp linkPage, token string, err error) {
	var ve *domain.ValidationError
	switch {
	case err == nil:
		renderPage(w, http.StatusOK, page{Title: lp.title, Message: lp.done})
	case errors.As(err, &ve):
		p := page{Title: lp.title, Form: lp.password, Password: lp.password, Button: lp.button, Token: token}
		for _, f := range ve.Fields {
			if f.Field == "token" {
				p.Form = false // a dead link stays dead
			}
			p.Errors = append(p.Errors, fieldLabel(f.Field)+f.Message)
		}
		renderPage(w, http.StatusBadRequest, p)
	case errors.Is(err, domain.ErrConflict):
		renderPage(w, http.StatusConflict, page{Title: lp.title, Errors: []string{"This account cannot do that now: " + err.Error()}})
	case clientGone(r, err):
		a.deps.Logger.DebugContext(r.Context(), "client closed the request", "path", path, "error", err, "request_id", requestIDFrom(r.Context()))
		w.WriteHeader(statusClientClosedRequest)
	default:
		a.deps.Logger.ErrorContext(r.Context(), "link page failed", "path", path, "error", err, "request_id", requestIDFrom(r.Context()))
		renderPage(w, http.StatusInternalServerError, page{Title: lp.title, Errors: []string{"Something went wrong on our side; please try again."}})
	}
}

func fieldLabel(field string) string {
	switch field {
	case "password":
		return "Password: "
	case "token":
		return "Link: "
	}
	return ""
}

func renderPage(w http.ResponseWriter, status int, p page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("X-Frame-Options", "DENY")
	w.WriteHeader(status)
	_ = pageTemplates.ExecuteTemplate(w, "layout", p)
}
