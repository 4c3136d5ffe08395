package esdbtest

import (
	"fmt"
	"regexp"
	"strings"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/clarynext/usermgmt/infra/eventstore"
)

// defaultCheckpointInterval is the client's default search window: a
// filtered subscription reports a checkpoint after that many events
// scanned, times the requested multiplier.
const defaultCheckpointInterval = 32

// filter is a server-side filter of $all on stream names or event types,
// by prefixes or by a regular expression. The nil *filter lets everything
// through.
type filter struct {
	onType   bool
	prefixes []string
	regex    *regexp.Regexp
	interval int // events scanned between checkpoints
}

// newFilter decodes a read's filter option; no filter gives nil.
func newFilter(o *api.ReadReq_Options_FilterOptions) (*filter, error) {
	if o == nil {
		return nil, nil
	}
	var (
		f    filter
		expr *api.ReadReq_Options_FilterOptions_Expression
	)
	switch {
	case o.GetStreamIdentifier() != nil:
		expr = o.GetStreamIdentifier()
	case o.GetEventType() != nil:
		expr, f.onType = o.GetEventType(), true
	default:
		return nil, status.Error(codes.InvalidArgument, "a filter needs a stream or an event type expression")
	}
	f.prefixes = expr.GetPrefix()
	if expr.GetRegex() != "" {
		re, err := regexp.Compile(expr.GetRegex())
		if err != nil {
			return nil, status.Error(codes.InvalidArgument, fmt.Sprintf("filter regex: %v", err))
		}
		f.regex = re
	}
	window := int(o.GetMax())
	if window <= 0 {
		window = defaultCheckpointInterval
	}
	f.interval = window * max(int(o.GetCheckpointIntervalMultiplier()), 1)
	return &f, nil
}

// matches reports whether e passes the filter.
func (f *filter) matches(e eventstore.RecordedEvent) bool {
	if f == nil {
		return true
	}
	subject := e.Stream
	if f.onType {
		subject = e.Type
	}
	if f.regex != nil && f.regex.MatchString(subject) {
		return true
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(subject, p) {
			return true
		}
	}
	return false
}

// backendPrefixes returns the stream prefixes the backend's own
// subscription can filter on: those of a filter on stream-name prefixes
// alone, else none (everything, filtered here).
func (f *filter) backendPrefixes() []string {
	if f == nil || f.onType || f.regex != nil {
		return nil
	}
	return f.prefixes
}
