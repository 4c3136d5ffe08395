package esdb

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

func TestToExpectedRevision(t *testing.T) {
	tests := []struct {
		in   eventstore.ExpectedRevision
		want esdb.ExpectedRevision
	}{
		{eventstore.Any(), esdb.Any{}},
		{eventstore.ExpectedRevision{}, esdb.Any{}},
		{eventstore.NoStream(), esdb.NoStream{}},
		{eventstore.StreamExists(), esdb.StreamExists{}},
		{eventstore.Exact(0), esdb.Revision(0)},
		{eventstore.Exact(42), esdb.Revision(42)},
	}
	for _, tc := range tests {
		if got := toExpectedRevision(tc.in); got != tc.want {
			t.Errorf("toExpectedRevision(%v) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

func TestToStreamPosition(t *testing.T) {
	tests := []struct {
		in   uint64
		want esdb.StreamPosition
	}{
		{0, esdb.Revision(0)},
		{7, esdb.Revision(7)},
		{eventstore.End, esdb.End{}},
	}
	for _, tc := range tests {
		if got := toStreamPosition(tc.in); got != tc.want {
			t.Errorf("toStreamPosition(%d) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

func TestToAllPosition(t *testing.T) {
	tests := []struct {
		in   eventstore.Position
		want esdb.AllPosition
	}{
		{eventstore.StartPosition, esdb.Start{}},
		{eventstore.EndPosition, esdb.End{}},
		{eventstore.Position{Commit: 300, Prepare: 200}, esdb.Position{Commit: 300, Prepare: 200}},
	}
	for _, tc := range tests {
		if got := toAllPosition(tc.in); got != tc.want {
			t.Errorf("toAllPosition(%v) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
	if got := fromPosition(esdb.Position{Commit: 9, Prepare: 8}); got != (eventstore.Position{Commit: 9, Prepare: 8}) {
		t.Errorf("fromPosition = %v", got)
	}
}

func TestSubscribeFrom(t *testing.T) {
	if got := subscribeFrom(eventstore.StartPosition); got != (esdb.Start{}) {
		t.Errorf("subscribeFrom(start) = %#v, want Start", got)
	}
	p := eventstore.Position{Commit: 5, Prepare: 4}
	if got := subscribeFrom(p); got != (esdb.Position{Commit: 5, Prepare: 4}) {
		t.Errorf("subscribeFrom(%v) = %#v", p, got)
	}
}

func TestReadCount(t *testing.T) {
	tests := []struct {
		max  int
		want uint64
	}{
		{0, eventstore.DefaultMaxCount},
		{-3, eventstore.DefaultMaxCount},
		{1, 1},
		{500, 500},
	}
	for _, tc := range tests {
		if got := readCount(tc.max); got != tc.want {
			t.Errorf("readCount(%d) = %d, want %d", tc.max, got, tc.want)
		}
	}
}

func TestValidateAppend(t *testing.T) {
	ok := eventstore.EventData{ID: uuid.New(), Type: "t.v1"}
	tests := []struct {
		name    string
		stream  string
		events  []eventstore.EventData
		invalid bool
	}{
		{"valid", "s", []eventstore.EventData{ok}, false},
		{"empty stream name", "", []eventstore.EventData{ok}, true},
		{"no events", "s", nil, true},
		{"nil ID", "s", []eventstore.EventData{ok, {Type: "t.v1"}}, true},
		{"no type", "s", []eventstore.EventData{{ID: uuid.New()}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := validateAppend(tc.stream, tc.events)
			if got := errors.Is(err, eventstore.ErrInvalidEvent); got != tc.invalid {
				t.Fatalf("validateAppend: err = %v, want invalid %v", err, tc.invalid)
			}
		})
	}
}

func TestToEventData(t *testing.T) {
	id := uuid.New()
	tests := []struct {
		contentType string
		want        esdb.ContentType
		invalid     bool
	}{
		{"", esdb.ContentTypeJson, false},
		{eventstore.ContentTypeJSON, esdb.ContentTypeJson, false},
		{"application/octet-stream", esdb.ContentTypeBinary, false},
		{"text/plain", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.contentType, func(t *testing.T) {
			in := eventstore.EventData{ID: id, Type: "t.v1", ContentType: tc.contentType, Data: []byte("d"), Metadata: []byte("m")}
			got, err := toEventData(in)
			if tc.invalid {
				if !errors.Is(err, eventstore.ErrInvalidEvent) {
					t.Fatalf("err = %v, want ErrInvalidEvent", err)
				}
				return
			}
			want := esdb.EventData{EventID: id, EventType: "t.v1", ContentType: tc.want, Data: []byte("d"), Metadata: []byte("m")}
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("toEventData = %+v, %v; want %+v", got, err, want)
			}
		})
	}
}

func TestFromRecordedEvent(t *testing.T) {
	created := time.Date(2024, 5, 6, 7, 8, 9, 100, time.UTC)
	in := &esdb.RecordedEvent{
		EventID:      uuid.New(),
		EventType:    "user.created.v1",
		ContentType:  "application/json",
		StreamID:     "user-1",
		EventNumber:  3,
		Position:     esdb.Position{Commit: 10, Prepare: 9},
		CreatedDate:  created,
		Data:         []byte(`{"a":1}`),
		UserMetadata: []byte(`{"actor":"x"}`),
	}
	want := eventstore.RecordedEvent{
		ID:          in.EventID,
		Stream:      "user-1",
		Revision:    3,
		Position:    eventstore.Position{Commit: 10, Prepare: 9},
		Type:        "user.created.v1",
		ContentType: "application/json",
		Data:        []byte(`{"a":1}`),
		Metadata:    []byte(`{"actor":"x"}`),
		Created:     created,
	}
	if got := fromRecordedEvent(in); !reflect.DeepEqual(got, want) {
		t.Fatalf("fromRecordedEvent = %+v, want %+v", got, want)
	}
}

func TestIsSystemEvent(t *testing.T) {
	tests := []struct {
		eventType string
		want      bool
	}{
		{"$metadata", true},
		{"$streamDeleted", true},
		{"$>", true},
		{"user.created.v1", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := isSystemEvent(&esdb.RecordedEvent{EventType: tc.eventType}); got != tc.want {
			t.Errorf("isSystemEvent(%q) = %v, want %v", tc.eventType, got, tc.want)
		}
	}
}

// TestStreamMetadataRoundTrip maps metadata to EventStoreDB's JSON document
// and back.
func TestStreamMetadataRoundTrip(t *testing.T) {
	zero, two := uint64(0), uint64(2)
	tests := []struct {
		name string
		in   eventstore.StreamMetadata
		json string
		want eventstore.StreamMetadata
	}{
		{"empty", eventstore.StreamMetadata{}, `{}`, eventstore.StreamMetadata{}},
		{"max age", eventstore.StreamMetadata{MaxAge: time.Hour}, `{"$maxAge":3600}`, eventstore.StreamMetadata{MaxAge: time.Hour}},
		{"max age rounded up to seconds", eventstore.StreamMetadata{MaxAge: 1500 * time.Millisecond}, `{"$maxAge":2}`, eventstore.StreamMetadata{MaxAge: 2 * time.Second}},
		{"max count", eventstore.StreamMetadata{MaxCount: 5}, `{"$maxCount":5}`, eventstore.StreamMetadata{MaxCount: 5}},
		{"truncate before 0", eventstore.StreamMetadata{TruncateBefore: &zero}, `{"$tb":0}`, eventstore.StreamMetadata{TruncateBefore: &zero}},
		{"all", eventstore.StreamMetadata{MaxAge: time.Minute, MaxCount: 3, TruncateBefore: &two},
			`{"$maxAge":60,"$maxCount":3,"$tb":2}`, eventstore.StreamMetadata{MaxAge: time.Minute, MaxCount: 3, TruncateBefore: &two}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := toStreamMetadata(tc.in)
			data, err := m.ToJson()
			if err != nil {
				t.Fatalf("ToJson: %v", err)
			}
			if string(data) != tc.json {
				t.Fatalf("JSON = %s, want %s", data, tc.json)
			}
			back, err := esdb.StreamMetadataFromJson(data)
			if err != nil {
				t.Fatalf("StreamMetadataFromJson: %v", err)
			}
			if got := fromStreamMetadata(back); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("round trip = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name  string
		opts  Options
		valid bool
	}{
		{"defaults", Options{}, true},
		{"negative backoff", Options{ResubscribeBackoff: -time.Second}, false},
		{"max below min", Options{ResubscribeBackoff: time.Second, ResubscribeMaxBackoff: time.Millisecond}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.setDefaults()
			if err := tc.opts.Validate(); (err == nil) != tc.valid {
				t.Fatalf("Validate() = %v, want valid %v", err, tc.valid)
			}
		})
	}
}
