package users

import (
	"slices"
	"testing"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"José Núñez":     "jose nunez",
		"STRASSE Straße": "strasse strasse",
		"Søren Ørsted":   "soren orsted",
		"Łukasz Wójcik":  "lukasz wojcik",
		"Æsa Œuvre":      "aesa oeuvre",
		"ﬁne ＡＢＣ":        "fine abc",
		"İstanbul ıı":    "istanbul ii",
		"Ἀθῆναι":         "αθηναι",
		"Иван Йог":       "иван иог",
		"a\x00b\tc":      "abc",
	} {
		if got := fold(in); got != want {
			t.Errorf("fold(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWords(t *testing.T) {
	for in, want := range map[string][]string{
		"mary-jane o'brien": {"mary", "jane", "obrien"},
		"  a..b__c++d--e  ": {"a", "b", "c", "d", "e"},
		"jane42 42":         {"jane", "42", "42"},
		"v2.0 x1y":          {"v", "2", "0", "x", "1", "y"},
		"":                  nil,
		"王芳 li":             {"王芳", "li"},
		"a’b":               {"ab"},
	} {
		if got := words(in); !slices.Equal(got, want) {
			t.Errorf("words(%q) = %q, want %q", in, got, want)
		}
	}
	long := words("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz")
	if len(long) != 1 || len([]rune(long[0])) != maxWordRunes {
		t.Errorf("long word not cut to %d runes: %q", maxWordRunes, long)
	}
}

func TestDocWords(t *testing.T) {
	got := docWords("Jane", "Doe-Smith", "Jane.Doe+news@Mail.ACME-corp.com")
	want := []string{"jane", "doe", "smith", "news", "mail", "acme", "corp", "com"}
	if !slices.Equal(got, want) {
		t.Errorf("docWords = %q, want %q", got, want)
	}
}

func TestPrefixes(t *testing.T) {
	if got, want := prefixes("añb"), []string{"a", "añ", "añb"}; !slices.Equal(got, want) {
		t.Errorf("prefixes = %q, want %q", got, want)
	}
}

func TestTextSources(t *testing.T) {
	for in, want := range map[string][]source{
		"José":            {{"p", "jose"}},
		"jo":              {{"g", "px:jo"}},
		"Jos":             {{"g", "px:jos"}},
		"jo jose":         {{"p", "jose"}},
		"jose jose":       {{"p", "jose"}},
		"Jane@ACME":       {{"e", "jane@acme"}},
		"@acme.com":       {{"p", "acme"}, {"g", "px:com"}},
		"jane.doe x@y.de": {{"e", "x@y.de"}, {"p", "jane"}, {"g", "px:doe"}},
		"!!":              nil,
	} {
		got, err := textSources(in)
		if err != nil {
			t.Fatalf("textSources(%q): %v", in, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("textSources(%q) = %v, want %v", in, got, want)
		}
	}
}
