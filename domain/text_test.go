package domain

import "testing"

func TestHidden(t *testing.T) {
	for _, tc := range []struct {
		r    rune
		want bool
	}{
		{'a', false}, {'é', false}, {' ', false}, {'\u0301', false}, // combining accent
		{'\u200c', false}, {'\u200d', false}, // ZWNJ, ZWJ
		{'\u200b', true}, {'\u202e', true}, {'\u2066', true}, {'\ufeff', true}, {'\u00ad', true},
		{'\u2028', true}, {'\u2029', true}, {'\u2060', true},
		{'\u200e', false}, {'\u061c', false}, {'\U000e0067', false}, {'\u180e', false}, {'\u0600', false},
	} {
		if got := Hidden(tc.r); got != tc.want {
			t.Errorf("Hidden(%U) = %v, want %v", tc.r, got, tc.want)
		}
	}
}
