// Package useragent turns a browser's User-Agent header into the few facts
// the login history shows: the kind of device, the browser with its major
// version, and the operating system. It wraps github.com/medama-io/go-useragent,
// a trie-based parser that covers the common browsers and answers in well
// under a microsecond without allocating.
package useragent

import (
	"unicode/utf8"

	ua "github.com/medama-io/go-useragent"
	"github.com/medama-io/go-useragent/agents"
)

// MaxLength is how many bytes of a User-Agent header are looked at. Real
// headers are a few hundred bytes; anything longer is cut (at a UTF-8
// boundary) before parsing, so a hostile header costs no more than a normal
// one.
const MaxLength = 512

// Device kinds as Client.Device reports them. An unrecognised device is "".
const (
	DeviceDesktop = "desktop"
	DeviceMobile  = "mobile"
	DeviceTablet  = "tablet"
	DeviceBot     = "bot"
	DeviceTV      = "tv"
)

// Client is what a User-Agent header says about the client. Fields the
// parser cannot tell are empty.
type Client struct {
	// Device is one of the Device* constants, or "" when unknown.
	Device string
	// Browser is the browser's name and major version, e.g. "Chrome 120",
	// or just the name when the header carries no version.
	Browser string
	// OS is the operating system's name, e.g. "Windows", "MacOS", "iOS",
	// "Android", "Linux", "ChromeOS".
	OS string
}

// Parser parses User-Agent headers. Create it once (NewParser builds its
// trie on first use) and share it: it is safe for concurrent use.
type Parser struct {
	p *ua.Parser
}

// NewParser returns a Parser with the library's embedded definitions. The
// library builds them once per process and shares them between parsers, so
// calling NewParser again is cheap.
func NewParser() *Parser {
	return &Parser{p: ua.NewParser()}
}

// Parse reads a User-Agent header; see Client. At most MaxLength bytes of
// it are looked at.
func (p *Parser) Parse(header string) Client {
	a := p.p.Parse(Truncate(header, MaxLength))
	c := Client{Device: device(a.Device()), Browser: string(a.Browser()), OS: string(a.OS())}
	if major := a.BrowserVersionMajor(); c.Browser != "" && major != "" {
		c.Browser += " " + major
	}
	return c
}

// Parse is a shorthand for NewParser().Parse(header).
func Parse(header string) Client {
	return NewParser().Parse(header)
}

func device(d agents.Device) string {
	switch d {
	case agents.DeviceDesktop:
		return DeviceDesktop
	case agents.DeviceMobile:
		return DeviceMobile
	case agents.DeviceTablet:
		return DeviceTablet
	case agents.DeviceBot:
		return DeviceBot
	case agents.DeviceTV:
		return DeviceTV
	}
	return ""
}

// Truncate returns at most max bytes of s, cut before a UTF-8 sequence that
// would not fit whole, so the result is valid UTF-8 if s was.
func Truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	if max <= 0 {
		return ""
	}
	cut := max
	for cut > 0 && cut > max-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
