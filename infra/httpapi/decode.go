package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/clarynext/usermgmt/domain"
)

// maxBodyBytes bounds every JSON request body.
const maxBodyBytes = 64 << 10

// readBody reads a JSON request body of at most maxBodyBytes.
func readBody(r *http.Request) ([]byte, error) {
	if n := len(r.Header.Values("Content-Type")); n > 1 {
		return nil, badRequest("invalid-header", fmt.Sprintf("Content-Type is given %d times: send one", n))
	}
	ct := r.Header.Get("Content-Type")
	if ct != "" {
		mt, params, err := mime.ParseMediaType(ct)
		isJSON := mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json") && len(mt) > len("application/+json"))
		if err != nil || !isJSON {
			return nil, unsupportedMedia(fmt.Sprintf("Content-Type %q: send application/json", ct))
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
			return nil, unsupportedMedia(fmt.Sprintf("charset %q: JSON bodies are UTF-8", cs))
		}
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		return nil, unsupportedMedia(fmt.Sprintf("Content-Encoding %q: send the body unencoded", ce))
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, badRequest("malformed-body", "could not read the request body")
	}
	if len(body) > maxBodyBytes {
		return nil, &httpError{problem{Type: "body-too-large", Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("the request body exceeds %d bytes", maxBodyBytes)}}
	}
	if ct == "" && len(bytes.TrimSpace(body)) > 0 {
		return nil, unsupportedMedia("a request body needs Content-Type: application/json")
	}
	return body, nil
}

func unsupportedMedia(detail string) error {
	return &httpError{problem{Type: "unsupported-media-type", Status: http.StatusUnsupportedMediaType, Detail: detail}}
}

// decodeJSON decodes body into dst strictly: one JSON object, no unknown
// fields, nothing after it. Errors name the position or field at fault.
func decodeJSON(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("malformed-body", "the request body is empty; send a JSON object")
	}
	if err := checkShape(body, dst); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return badRequest("malformed-body", "the request body holds more than one JSON value")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("malformed-body", "the request body holds data after the JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return badRequest("malformed-body", fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, syntax))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed-body", "malformed JSON: the body ends early")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return badRequest("malformed-body", fmt.Sprintf("the body must be a JSON object, not %s", typ.Value))
		}
		return badRequest("validation-error", fmt.Sprintf("field %q must be %s, not %s", field, jsonTypeName(typ.Type.Kind().String()), typ.Value),
			domain.FieldError{Field: field, Code: domain.CodeInvalid, Message: fmt.Sprintf("must be %s", jsonTypeName(typ.Type.Kind().String()))})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return badRequest("unknown-field", fmt.Sprintf("unknown field %q", name),
			domain.FieldError{Field: name, Code: "unknown_field", Message: "is not a field of this request"})
	default:
		return badRequest("malformed-body", "malformed JSON: "+err.Error())
	}
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "bool":
		return "a boolean"
	default:
		return "a number"
	}
}
