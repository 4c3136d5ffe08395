package domain_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/clarynext/usermgmt/domain"
)

type pinged struct {
	Count int `json:"count"`
}

func (pinged) EventType() string { return "test.pinged.v1" }

type ponged struct{}

func (ponged) EventType() string { return "test.ponged.v1" }

// impostor claims a registered type name with another Go type.
type impostor struct{}

func (impostor) EventType() string { return "test.pinged.v1" }

func newCodec(t *testing.T) *domain.Codec {
	t.Helper()
	c, err := domain.NewCodec(domain.Register[pinged](), domain.Register[ponged]())
	if err != nil {
		t.Fatalf("NewCodec: %v", err)
	}
	return c
}

func TestCodecRoundTrip(t *testing.T) {
	c := newCodec(t)
	for _, e := range []domain.Event{pinged{Count: 3}, ponged{}} {
		typ, data, err := c.Marshal(e)
		if err != nil {
			t.Fatalf("Marshal(%#v): %v", e, err)
		}
		if typ != e.EventType() {
			t.Errorf("type = %q, want %q", typ, e.EventType())
		}
		got, err := c.Unmarshal(typ, data)
		if err != nil {
			t.Fatalf("Unmarshal(%q, %s): %v", typ, data, err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Errorf("round trip = %#v, want %#v", got, e)
		}
	}
	if got, want := c.Types(), []string{"test.pinged.v1", "test.ponged.v1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Types() = %q, want %q", got, want)
	}
}

func TestCodecIgnoresUnknownMembers(t *testing.T) {
	got, err := newCodec(t).Unmarshal("test.pinged.v1", []byte(`{"count":2,"added_later":true}`))
	if err != nil || got != (pinged{Count: 2}) {
		t.Fatalf("got %#v, %v", got, err)
	}
}

func TestCodecErrors(t *testing.T) {
	c := newCodec(t)
	if _, err := c.Unmarshal("test.unknown.v1", []byte(`{}`)); !errors.Is(err, domain.ErrUnknownEventType) {
		t.Errorf("Unmarshal unknown type: error = %v, want ErrUnknownEventType", err)
	}
	if _, err := c.Unmarshal("test.pinged.v1", []byte(`{"count":"three"}`)); err == nil {
		t.Error("Unmarshal of a bad payload succeeded")
	}
	other, err := domain.NewCodec(domain.Register[ponged]())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Marshal(pinged{}); !errors.Is(err, domain.ErrUnknownEventType) {
		t.Errorf("Marshal unregistered: error = %v, want ErrUnknownEventType", err)
	}
	if _, _, err := c.Marshal(impostor{}); err == nil {
		t.Error("Marshal of a Go type other than the registered one succeeded")
	}
	if _, _, err := c.Marshal(nil); err == nil {
		t.Error("Marshal(nil) succeeded")
	}
	if _, err := domain.NewCodec(domain.Register[pinged](), domain.Register[impostor]()); err == nil {
		t.Error("NewCodec accepted a duplicate type name")
	}
	if _, err := domain.NewCodec(domain.Registration{}); err == nil {
		t.Error("NewCodec accepted a zero Registration")
	}
}
