package domain

// Hidden reports characters that free text (names, notes, reasons) and new
// email addresses must not hold because they show nothing or reorder what
// follows, so that two texts that look alike would differ, or a name would
// fail to match its own search: zero-width space, word joiner, byte-order
// mark, soft hyphen, the bidirectional embeddings, overrides and isolates,
// and the line and paragraph separators. Other format characters stay
// allowed: the zero-width joiner and non-joiner (Persian, Indic scripts,
// emoji sequences), emoji tag characters (subdivision flags), the
// left-to-right and right-to-left marks and the Arabic letter mark that
// mixed-direction names need, and number signs.
func Hidden(r rune) bool {
	switch {
	case r == '\u200b', r == '\u2060', r == '\ufeff', r == '\u00ad':
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return true
	case r == '\u2028', r == '\u2029':
		return true
	}
	return false
}
