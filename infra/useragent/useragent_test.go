package useragent_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/clarynext/usermgmt/infra/useragent"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   useragent.Client
	}{
		{
			name:   "Chrome on Windows",
			header: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
			want:   useragent.Client{Device: "desktop", Browser: "Chrome 120", OS: "Windows"},
		},
		{
			name:   "Edge on Windows",
			header: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61",
			want:   useragent.Client{Device: "desktop", Browser: "Edge 120", OS: "Windows"},
		},
		{
			name:   "Safari on macOS",
			header: "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
			want:   useragent.Client{Device: "desktop", Browser: "Safari 17", OS: "MacOS"},
		},
		{
			name:   "Safari on iPhone",
			header: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
			want:   useragent.Client{Device: "mobile", Browser: "Safari 17", OS: "iOS"},
		},
		{
			name:   "Safari on iPad",
			header: "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
			want:   useragent.Client{Device: "tablet", Browser: "Safari 16", OS: "iOS"},
		},
		{
			name:   "Chrome on Android phone",
			header: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.43 Mobile Safari/537.36",
			want:   useragent.Client{Device: "mobile", Browser: "Chrome 120", OS: "Android"},
		},
		{
			name:   "Firefox on Linux",
			header: "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
			want:   useragent.Client{Device: "desktop", Browser: "Firefox 121", OS: "Linux"},
		},
		{
			name:   "Chrome on ChromeOS",
			header: "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
			want:   useragent.Client{Device: "desktop", Browser: "Chrome 120", OS: "ChromeOS"},
		},
		{
			name:   "Googlebot",
			header: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
			want:   useragent.Client{Device: "bot"},
		},
		{
			name:   "empty header",
			header: "",
			want:   useragent.Client{},
		},
		{
			name:   "garbage",
			header: "\x00\xff not a browser \u00e9",
			want:   useragent.Client{},
		},
		{
			// The browser token sits past MaxLength: only the first 512
			// bytes are parsed, so it is not seen.
			name:   "overlong header is cut before parsing",
			header: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) " + strings.Repeat("x", 600) + " Chrome/120.0.0.0 Safari/537.36",
			want:   useragent.Client{Device: "desktop", OS: "Windows"},
		},
	}
	p := useragent.NewParser()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Parse(tc.header); got != tc.want {
				t.Fatalf("Parse = %+v, want %+v", got, tc.want)
			}
			if got := useragent.Parse(tc.header); got != tc.want {
				t.Fatalf("package Parse = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"short", "abc", 5, "abc"},
		{"exact", "abcde", 5, "abcde"},
		{"ascii", "abcdef", 5, "abcde"},
		{"multibyte kept whole", "abcdé", 5, "abcd"}, // é is 2 bytes at 4..5
		{"multibyte fits", "abcé", 5, "abcé"},        // 5 bytes
		{"four byte rune", "ab😀cd", 4, "ab"},         // 😀 is 4 bytes at 2..5
		{"zero", "abc", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := useragent.Truncate(tc.in, tc.max)
			if got != tc.want {
				t.Fatalf("Truncate(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
			if !utf8.ValidString(got) {
				t.Fatalf("result %q is not valid UTF-8", got)
			}
		})
	}
}
