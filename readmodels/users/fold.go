package users

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// maxWordRunes caps an indexed word; longer words, in documents and in
// queries alike, are cut to this many runes, so a query word matches a
// document word when their first maxWordRunes runes agree.
const maxWordRunes = 40

// maxWords caps how many words of one document are indexed.
const maxWords = 32

// letterFolds maps letters that have no Unicode decomposition to the ASCII
// a reader would type for them. Keys are already case-folded.
var letterFolds = map[rune]string{
	'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d", 'ð': "d",
	'þ': "th", 'ı': "i", 'ħ': "h", 'ŧ': "t", 'ŀ': "l", 'ĸ': "k", 'ŋ': "n",
}

// fold maps text to the form every index and query compares: compatibility
// decomposition (so "ﬁ" is "fi" and full-width letters are ASCII), combining
// marks dropped ("José" is "jose"), Unicode case folding ("Straße" is
// "strasse") and the letters of letterFolds replaced ("Søren" is "soren").
// Control characters are dropped, so a folded string never holds "\x00".
func fold(s string) string {
	s = cases.Fold().String(norm.NFKD.String(s))
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r), unicode.IsControl(r), r == utf8.RuneError:
		default:
			if m, ok := letterFolds[r]; ok {
				b.WriteString(m)
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// isApostrophe reports whether r joins the letters around it ("O'Brien" is
// one word, "obrien").
func isApostrophe(r rune) bool {
	return r == '\'' || r == '’' || r == 'ʼ' || r == '`'
}

// words splits folded text into words: runs of letters and runs of digits
// ("jane42" is "jane" and "42"), with apostrophes inside words removed.
// Each word is cut to maxWordRunes runes; duplicates are kept in order of
// appearance.
func words(folded string) []string {
	var out []string
	var b strings.Builder
	runes, digits := 0, false
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
		}
		b.Reset()
		runes = 0
	}
	for _, r := range folded {
		letter, digit := unicode.IsLetter(r), unicode.IsNumber(r)
		switch {
		case letter || digit:
			if b.Len() > 0 && digit != digits {
				flush()
			}
			digits = digit
			if runes < maxWordRunes {
				b.WriteRune(r)
				runes++
			}
		case isApostrophe(r) && !digits:
		default:
			flush()
		}
	}
	flush()
	return out
}

// nameKey is the sort key of a person's name: the folded words of first
// and last name joined by single spaces ("José  Núñez-Peña" sorts as
// "jose nunez pena").
func nameKey(first, last string) string {
	return strings.Join(words(fold(first+" "+last)), " ")
}

// emailKey is the sort and prefix-match key of an email address.
func emailKey(email string) string {
	return fold(strings.TrimSpace(email))
}

// docWords are the distinct searchable words of a user: the words of the
// first and last name, of the email's local part and of its domain.
func docWords(first, last, email string) []string {
	all := words(fold(first + " " + last))
	local, domain, found := strings.Cut(emailKey(email), "@")
	if !found {
		domain = ""
	}
	all = append(all, words(local)...)
	all = append(all, words(domain)...)
	seen := make(map[string]bool, len(all))
	out := all[:0]
	for _, w := range all {
		if !seen[w] && len(out) < maxWords {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// prefixes returns every rune prefix of w, shortest first.
func prefixes(w string) []string {
	out := make([]string, 0, utf8.RuneCountInString(w))
	for i := range w {
		if i > 0 {
			out = append(out, w[:i])
		}
	}
	return append(out, w)
}
