package registration

import (
	"fmt"
	"time"

	"github.com/clarynext/usermgmt/domain"
)

// State is the self-registration setting, folded from Stream. The zero
// State has never been set and answers Default. It is not safe for
// concurrent use.
type State struct {
	settings Settings
	set      bool
}

// Load folds the history of Stream, oldest first.
func Load(history ...domain.Event) (*State, error) {
	s := &State{}
	if err := s.Fold(history...); err != nil {
		return nil, err
	}
	return s, nil
}

// Fold applies further stored events. It fails only on an event of another
// stream kind (a wiring mistake); it does not validate stored settings,
// because history is fact and must replay.
func (s *State) Fold(events ...domain.Event) error {
	for _, e := range events {
		if err := s.apply(e); err != nil {
			return err
		}
	}
	return nil
}

func (s *State) apply(e domain.Event) error {
	switch e := e.(type) {
	case SettingsChanged:
		s.settings = e.Settings
		s.set = true
	default:
		return fmt.Errorf("registration: settings cannot apply event %T", e)
	}
	return nil
}

// Current is the settings in force: the last ones set, or Default. It is a
// deep copy.
func (s *State) Current() Settings {
	if !s.set {
		return Default()
	}
	return s.settings.Clone()
}

// Set makes in the settings. It normalizes them (see Settings) and fails
// with a *domain.ValidationError naming every broken rule (see
// Settings.Validate); settings equal to Current once normalized change
// nothing and return no events.
func (s *State) Set(in Settings, now time.Time) ([]domain.Event, error) {
	n, err := in.normalized()
	if err != nil {
		return nil, err
	}
	if n.Equal(s.Current()) {
		return nil, nil
	}
	e := SettingsChanged{Settings: n, At: eventTime(now)}
	if err := s.apply(e); err != nil {
		return nil, err
	}
	return []domain.Event{e}, nil
}
