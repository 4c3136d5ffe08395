package domain

import "unicode"

// Hidden reports characters that free text (names, notes, reasons) must
// not hold because they show nothing or reorder what follows, so that two
// texts that look alike would differ, or a name would fail to match its
// own search: format characters (zero-width space, bidirectional
// overrides and isolates, byte-order mark, soft hyphen) and the line and
// paragraph separators. The zero-width joiner and non-joiner are allowed:
// Persian, the Indic scripts and emoji sequences need them.
func Hidden(r rune) bool {
	switch {
	case r == '\u200c' || r == '\u200d':
		return false
	case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Zl, r), unicode.Is(unicode.Zp, r):
		return true
	}
	return false
}
