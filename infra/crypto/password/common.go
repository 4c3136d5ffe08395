package password

import (
	"bufio"
	_ "embed" // for the common password list
	"fmt"
	"strings"
)

// commonPasswords is the shipped list of commonly used passwords, most
// common first, one lowercase password a line (see data/README.md).
//
//go:embed data/common-passwords.txt
var commonPasswords string

// CommonList is a set of commonly used passwords that a password policy
// refuses (NIST SP 800-63B, 5.1.1.2). It is read-only after construction
// and safe for concurrent use.
type CommonList struct {
	set map[string]struct{}
}

// NewCommonList returns the list shipped with the service: the 20,000 most
// common passwords of the zxcvbn-ts common dictionary.
func NewCommonList() (*CommonList, error) {
	return ParseCommonList(commonPasswords)
}

// ParseCommonList reads a list of passwords, one a line; blank lines are
// skipped and case is ignored.
func ParseCommonList(text string) (*CommonList, error) {
	l := &CommonList{set: make(map[string]struct{}, strings.Count(text, "\n")+1)}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if pw := strings.TrimRight(sc.Text(), "\r"); pw != "" {
			l.set[strings.ToLower(pw)] = struct{}{}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("password: read common password list: %w", err)
	}
	return l, nil
}

// Contains reports whether pw is on the list, ignoring case.
func (l *CommonList) Contains(pw string) bool {
	_, ok := l.set[strings.ToLower(pw)]
	return ok
}

// Len is the number of passwords on the list.
func (l *CommonList) Len() int { return len(l.set) }
