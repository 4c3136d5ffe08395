package registration

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/clarynext/usermgmt/domain"
)

// dateLayout is the form of a date value.
const dateLayout = "2006-01-02"

// ValidateFields judges the extra field values of one sign-up against
// s.Fields. in holds the values as encoding/json decodes them into a
// map[string]any: string, float64, bool or nil.
//
// A nil value, a string that is empty after trimming (whatever the field's
// type, since forms send "" for an empty input) and a missing key all mean
// "no value": a required field answers "required", an optional one is
// left out of the result. Otherwise the value must match the field's type
// ("invalid"): a string without control or invisible formatting characters, a finite number, a
// boolean, or a date as a "YYYY-MM-DD" string of a real day. A string
// longer than the field's Limit in characters answers "too_long", and a
// key no field has answers "unknown".
//
// It returns the values in canonical form, by key: strings trimmed,
// numbers as strconv.FormatFloat(v, 'f', -1, 64), booleans "true" or
// "false", dates as given (trimmed). When any value is refused it returns
// nil and one *domain.ValidationError with an entry per refused value on
// "fields.<key>", in the order of s.Fields, then unknown keys sorted.
func (s Settings) ValidateFields(in map[string]any) (map[string]string, error) {
	var p problems
	out := make(map[string]string, len(s.Fields))
	known := make(map[string]bool, len(s.Fields))
	for _, f := range s.Fields {
		known[f.Key] = true
		at := "fields." + f.Key
		v, ok := fieldValue(f, in[f.Key])
		if !ok {
			p.add(at, domain.CodeInvalid, "must be %s", typeNoun(f.Type))
			continue
		}
		switch {
		case v == "" && f.Required:
			p.add(at, domain.CodeRequired, "is required")
		case v == "":
		case f.Type == TypeString && utf8.RuneCountInString(v) > f.Limit():
			p.add(at, domain.CodeTooLong, "must be at most %d characters", f.Limit())
		default:
			out[f.Key] = v
		}
	}
	for _, k := range slices.Sorted(maps.Keys(in)) {
		if !known[k] {
			p.add("fields."+k, CodeUnknown, "is not a sign-up field")
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// fieldValue returns the canonical form of raw, a value of f as decoded
// from JSON, "" for no value; ok is false when raw does not fit f's type.
func fieldValue(f Field, raw any) (v string, ok bool) {
	if raw == nil {
		return "", true
	}
	if str, isString := raw.(string); isString {
		str = strings.TrimSpace(str)
		switch {
		case str == "":
			return "", true
		case f.Type == TypeString:
			return str, utf8.ValidString(str) && !strings.ContainsFunc(str, unicode.IsControl) && !strings.ContainsFunc(str, domain.Hidden)
		case f.Type == TypeDate:
			_, err := time.Parse(dateLayout, str)
			return str, len(str) == len(dateLayout) && err == nil
		}
		return "", false
	}
	switch x := raw.(type) {
	case float64:
		if f.Type != TypeNumber || math.IsNaN(x) || math.IsInf(x, 0) {
			return "", false
		}
		if x == 0 {
			x = 0 // -0 reads as 0
		}
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		if f.Type != TypeBoolean {
			return "", false
		}
		return strconv.FormatBool(x), true
	}
	return "", false
}

// typeNoun describes a value of type t for error messages.
func typeNoun(t FieldType) string {
	switch t {
	case TypeString:
		return "text without control or invisible formatting characters"
	case TypeNumber:
		return "a finite number"
	case TypeBoolean:
		return "true or false"
	case TypeDate:
		return `a date as "YYYY-MM-DD"`
	}
	return fmt.Sprintf("a value of type %q", t)
}
