package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"
)

// Kinds of mail that Templates renders.
const (
	KindInvitation    = "invitation"
	KindVerification  = "verification"
	KindPasswordReset = "password_reset"
)

// ErrUnknownKind is returned by Render for a kind it has no templates for.
var ErrUnknownKind = errors.New("unknown mail kind")

//go:embed templates/*.tmpl
var templateFS embed.FS

// Data is what a mail says about its recipient.
type Data struct {
	// Name is the recipient's display name; it may be empty. HTML output
	// escapes it.
	Name string
	// Link is the action URL (accept the invitation, verify, reset). It is
	// required.
	Link string
	// ExpiresAt is when Link stops working; the zero time leaves the
	// sentence out.
	ExpiresAt time.Time
}

// view is what the templates see.
type view struct {
	Data
	Product string
}

// kindTemplates holds the three templates of one kind.
type kindTemplates struct {
	subject *texttemplate.Template
	text    *texttemplate.Template
	html    *htmltemplate.Template
}

// Templates renders the service's mails from the embedded templates. It is
// immutable and safe for concurrent use.
type Templates struct {
	product string
	kinds   map[string]kindTemplates
}

// NewTemplates parses the embedded templates; product is the product name
// shown in subjects and bodies.
func NewTemplates(product string) (*Templates, error) {
	product = strings.TrimSpace(product)
	if product == "" {
		return nil, errors.New("mail: templates: product name is required")
	}
	if hasControl(product) {
		return nil, errors.New("mail: templates: product name holds control characters")
	}
	funcs := map[string]any{"expiry": expiry}
	t := &Templates{product: product, kinds: map[string]kindTemplates{}}
	for _, kind := range []string{KindInvitation, KindVerification, KindPasswordReset} {
		subject, err := texttemplate.New(kind+".subject.tmpl").Funcs(funcs).ParseFS(templateFS, "templates/"+kind+".subject.tmpl")
		if err != nil {
			return nil, fmt.Errorf("mail: templates: %s subject: %w", kind, err)
		}
		text, err := texttemplate.New(kind+".txt.tmpl").Funcs(funcs).ParseFS(templateFS, "templates/"+kind+".txt.tmpl")
		if err != nil {
			return nil, fmt.Errorf("mail: templates: %s text: %w", kind, err)
		}
		html, err := htmltemplate.New("layout").Funcs(funcs).ParseFS(templateFS, "templates/layout.html.tmpl", "templates/"+kind+".html.tmpl")
		if err != nil {
			return nil, fmt.Errorf("mail: templates: %s HTML: %w", kind, err)
		}
		t.kinds[kind] = kindTemplates{subject: subject, text: text, html: html}
	}
	return t, nil
}

// Render returns the subject (one line) and the plain-text and HTML bodies of
// a mail of the given kind (KindInvitation, KindVerification or
// KindPasswordReset). An unknown kind wraps ErrUnknownKind.
func (t *Templates) Render(kind string, data Data) (subject, text, html string, err error) {
	kt, ok := t.kinds[kind]
	if !ok {
		return "", "", "", fmt.Errorf("mail: render %q: %w", kind, ErrUnknownKind)
	}
	if strings.TrimSpace(data.Link) == "" {
		return "", "", "", fmt.Errorf("mail: render %s: link is required", kind)
	}
	v := view{Data: data, Product: t.product}
	var sb, tb, hb bytes.Buffer
	if err := kt.subject.Execute(&sb, v); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s subject: %w", kind, err)
	}
	if err := kt.text.Execute(&tb, v); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s text: %w", kind, err)
	}
	if err := kt.html.ExecuteTemplate(&hb, "layout", v); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s HTML: %w", kind, err)
	}
	// A subject is one header line: fold any whitespace run into one space.
	return strings.Join(strings.Fields(sb.String()), " "), tb.String(), hb.String(), nil
}

// expiry formats an expiry time for people, in UTC.
func expiry(t time.Time) string {
	return t.UTC().Format("2 January 2006 at 15:04 UTC")
}
