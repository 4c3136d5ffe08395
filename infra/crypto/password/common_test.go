package password_test

import (
	"crypto/rand"
	"testing"

	"github.com/clarynext/usermgmt/infra/crypto/password"
)

func TestShippedCommonList(t *testing.T) {
	l, err := password.NewCommonList()
	if err != nil {
		t.Fatal(err)
	}
	if l.Len() < 10000 {
		t.Fatalf("%d common passwords, want at least 10,000", l.Len())
	}
	for _, pw := range []string{"password", "123456", "PASSWORD", "Qwerty", "letmein"} {
		if !l.Contains(pw) {
			t.Errorf("%q is not on the list", pw)
		}
	}
	random := rand.Text()[:20] // 20 random base32 characters
	if l.Contains(random) {
		t.Errorf("random %q is on the list", random)
	}
	if l.Contains("") {
		t.Error("the empty password is on the list")
	}
}

func TestParseCommonList(t *testing.T) {
	l, err := password.ParseCommonList("Hunter2\r\n\nsecret\n")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pw   string
		want bool
	}{
		{"hunter2", true}, {"HUNTER2", true}, {"secret", true}, {"secret2", false}, {"", false},
	}
	for _, tc := range tests {
		if got := l.Contains(tc.pw); got != tc.want {
			t.Errorf("Contains(%q) = %v, want %v", tc.pw, got, tc.want)
		}
	}
	if l.Len() != 2 {
		t.Errorf("Len = %d, want 2", l.Len())
	}
}
