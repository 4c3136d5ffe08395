package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/clarynext/usermgmt/domain"
)

// checkShape refuses what encoding/json lets through but a strict API
// should not: a body that is not valid UTF-8 (encoding/json replaces the
// bad bytes with U+FFFD), a top-level value of the wrong kind (it reads
// null into a struct as nothing at all), a key given twice in one object
// (it keeps the last), a key that names a field only in another case
// (it matches names case-insensitively) and a \u escape of half a
// surrogate pair (it decodes it as U+FFFD). dst is what the body decodes
// into; syntax errors are left to the decoder, which names their byte.
func checkShape(body []byte, dst any) error {
	if !utf8.Valid(body) {
		return badRequest("malformed-body", "the request body is not valid UTF-8")
	}
	if at := loneSurrogate(body); at >= 0 {
		return badRequest("malformed-body", fmt.Sprintf("the escape at byte %d is half of a UTF-16 surrogate pair, which is no character", at))
	}
	t := reflect.TypeOf(dst)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil
	}
	if t != nil && t.Kind() == reflect.Struct && tok != json.Delim('{') {
		return badRequest("malformed-body", fmt.Sprintf("the body must be a JSON object, not %s", jsonKind(tok)))
	}
	s := shapeChecker{dec: dec}
	s.value(tok, t, "")
	return s.err
}

// shapeChecker walks one JSON value token by token beside the Go type it
// decodes into. It stops at the first fault (err), or quietly at a syntax
// error (broken), which the decoder reports better.
type shapeChecker struct {
	dec    *json.Decoder
	err    error
	broken bool
}

// more reports whether the current array or object has another element
// and the walk goes on.
func (s *shapeChecker) more() bool { return s.err == nil && !s.broken && s.dec.More() }

// value checks the value that starts with tok, decoded into t (nil when
// any shape goes: a map's values, an interface, a field that does not
// exist), at path (dotted, for messages).
func (s *shapeChecker) value(tok json.Token, t reflect.Type, path string) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch tok {
	case json.Delim('{'):
		s.object(t, path)
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for s.more() {
			s.next(elem, path+"[]")
		}
		s.token() // ]
	}
}

func (s *shapeChecker) object(t reflect.Type, path string) {
	var fields map[string]reflect.Type
	if t != nil && t.Kind() == reflect.Struct {
		fields = jsonFields(t)
	}
	seen := map[string]bool{}
	for s.more() {
		k, ok := s.token().(string)
		if !ok {
			return
		}
		name := k
		if path != "" {
			name = path + "." + k
		}
		if seen[k] {
			s.err = badRequest("malformed-body", fmt.Sprintf("field %q is given more than once", name),
				domain.FieldError{Field: name, Code: "duplicate_field", Message: "is given more than once"})
			return
		}
		seen[k] = true
		var ft reflect.Type
		if fields != nil {
			var known bool
			if ft, known = fields[k]; !known {
				for f := range fields {
					if strings.EqualFold(f, k) {
						s.err = badRequest("unknown-field", fmt.Sprintf("unknown field %q: field names are case-sensitive, did you mean %q?", name, f),
							domain.FieldError{Field: name, Code: "unknown_field", Message: fmt.Sprintf("is not a field of this request (did you mean %q?)", f)})
						return
					}
				}
			}
		}
		s.next(ft, name)
	}
	s.token() // }
}

// next reads the next value and checks it.
func (s *shapeChecker) next(t reflect.Type, path string) {
	if tok := s.token(); s.err == nil && tok != nil {
		s.value(tok, t, path)
	}
}

// token reads a token; at a syntax error it ends the walk without a fault.
func (s *shapeChecker) token() json.Token {
	if s.broken {
		return nil
	}
	tok, err := s.dec.Token()
	if err != nil {
		s.broken = true
		return nil
	}
	return tok
}

// jsonFields maps the JSON names of t's fields, as encoding/json sees
// them (tags, embedded structs), to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					out[k] = v
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// jsonKind names the kind of value a token starts.
func jsonKind(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' {
			return "an array"
		}
		return "an object"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	default:
		return "a number"
	}
}

// loneSurrogate returns the byte offset of the first \u escape in a JSON
// string that names a UTF-16 surrogate without its other half, or -1.
// Outside strings a backslash is a syntax error, left to the decoder.
func loneSurrogate(body []byte) int {
	inString := false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c == '"':
			inString = !inString
		case c == '\\' && inString && i+1 < len(body):
			if body[i+1] != 'u' {
				i++ // a one-character escape, \" included
				continue
			}
			r, ok := hex4(body, i+2)
			switch {
			case !ok:
				return -1 // malformed: the decoder says where
			case r >= 0xDC00 && r <= 0xDFFF:
				return i // a low half with no high half before it
			case r >= 0xD800 && r <= 0xDBFF:
				low, ok := rune(0), false
				if i+7 < len(body) && body[i+6] == '\\' && body[i+7] == 'u' {
					low, ok = hex4(body, i+8)
				}
				if !ok || low < 0xDC00 || low > 0xDFFF {
					return i
				}
				i += 11 // both escapes
				continue
			}
			i += 5
		}
	}
	return -1
}

// hex4 reads four hex digits at body[at:].
func hex4(body []byte, at int) (rune, bool) {
	if at+4 > len(body) {
		return 0, false
	}
	var r rune
	for _, c := range body[at : at+4] {
		var d byte
		switch {
		case c >= '0' && c <= '9':
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}
