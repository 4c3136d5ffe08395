package checkpoint_test

import (
	"testing"

	"github.com/clarynext/usermgmt/infra/eventstore"
	"github.com/clarynext/usermgmt/readmodels/checkpoint"
)

func TestFormatParse(t *testing.T) {
	for _, p := range []eventstore.Position{{}, {Commit: 1, Prepare: 1}, {Commit: 18446744073709551615, Prepare: 42}} {
		got, err := checkpoint.Parse(checkpoint.Format(p))
		if err != nil || got != p {
			t.Errorf("round trip of %v: %v, %v", p, got, err)
		}
	}
	for _, bad := range []string{"", "12", "a/b", "1/-2", "1/2/3"} {
		if _, err := checkpoint.Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted a malformed position", bad)
		}
	}
}
