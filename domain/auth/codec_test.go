package auth_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/auth"
)

// Every event survives its JSON round trip and is stored under its
// versioned type name; the client's personal data sits under "pii".
func TestCodecRoundTrip(t *testing.T) {
	codec, err := domain.NewCodec(append(auth.Registrations(), auth.PolicyRegistrations()...)...)
	if err != nil {
		t.Fatal(err)
	}
	events := []domain.Event{
		succeeded(now),
		failed(now, auth.ReasonNoPassword),
		locked(now, time.Minute, 5),
		lockedForGood(now, 5),
		cleared(now),
		auth.LockExpired{UserID: userID, Until: now, At: now},
		auth.PolicySet{Policy: auth.Policy{MaxFailures: 3, Window: time.Hour, LockDuration: time.Minute, PermanentAfter: 2}, At: now},
		auth.NewUnknownAccountLoginFailed(client, now),
	}
	seen := map[string]bool{}
	for _, e := range events {
		typ, data, err := codec.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		seen[typ] = true
		back, err := codec.Unmarshal(typ, data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, e) {
			t.Errorf("%s: round trip %#v, want %#v", typ, back, e)
		}
		if strings.Contains(string(data), client.IP) && !strings.Contains(string(data), `"pii":{"ip":"192.0.2.7"`) {
			t.Errorf("%s: the IP address is outside the pii member: %s", typ, data)
		}
		if _, ok := e.(auth.UnknownAccountLoginFailed); ok && (strings.Contains(string(data), client.IP) || strings.Contains(string(data), client.UserAgent)) {
			t.Errorf("%s holds the client's address or User-Agent: %s", typ, data)
		}
		if l, ok := e.(auth.Locked); ok && l.Permanent && strings.Contains(string(data), "until") {
			t.Errorf("permanent lock stores an end time: %s", data)
		}
	}
	for _, typ := range codec.Types() {
		if !seen[typ] {
			t.Errorf("type %s not covered", typ)
		}
		if !strings.HasSuffix(typ, ".v1") {
			t.Errorf("type %s is not versioned", typ)
		}
	}
	if got := auth.Stream(userID); got != "auth-"+userID.String() {
		t.Errorf("Stream = %q", got)
	}
}
