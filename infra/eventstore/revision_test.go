package eventstore_test

import (
	"math"
	"testing"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

func TestExpectedRevisionAccepts(t *testing.T) {
	tests := []struct {
		exp     eventstore.ExpectedRevision
		current int64
		want    bool
	}{
		{eventstore.Any(), eventstore.NoRevision, true},
		{eventstore.Any(), 7, true},
		{eventstore.NoStream(), eventstore.NoRevision, true},
		{eventstore.NoStream(), 0, false},
		{eventstore.StreamExists(), eventstore.NoRevision, false},
		{eventstore.StreamExists(), 0, true},
		{eventstore.Exact(3), 3, true},
		{eventstore.Exact(3), 4, false},
		{eventstore.Exact(0), eventstore.NoRevision, false},
		{eventstore.Exact(math.MaxUint64), eventstore.NoRevision, false},
	}
	for _, tc := range tests {
		if got := tc.exp.Accepts(tc.current); got != tc.want {
			t.Errorf("%v accepts %d = %v, want %v", tc.exp, tc.current, got, tc.want)
		}
	}
}
