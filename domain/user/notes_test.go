package user_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
	"github.com/clarynext/usermgmt/domain/user"
)

func TestAddNote(t *testing.T) {
	addNote := func(id, author uuid.UUID, text string) func(*user.User) ([]domain.Event, error) {
		return func(u *user.User) ([]domain.Event, error) { return u.AddNote(id, author, text, now) }
	}
	note := user.NoteAdded{UserID: userID, NoteID: noteID, AuthorID: adminID, PII: user.NotePII{Text: "Called about billing."}, At: t0}
	otherNote := uuid.MustParse("6f1c1d2e-0000-4000-8000-00000000000f")
	run(t, []scenario{
		{
			name:  "add",
			given: history(),
			when:  addNote(noteID, adminID, "  Called about billing.\nPrefers email.\n"),
			then: []domain.Event{user.NoteAdded{
				UserID: userID, NoteID: noteID, AuthorID: adminID,
				PII: user.NotePII{Text: "Called about billing.\nPrefers email."}, At: now,
			}},
		},
		{
			name:  "suspended users can get notes",
			given: history(suspended(""), note),
			when:  addNote(otherNote, adminID, "Second note"),
			then:  []domain.Event{user.NoteAdded{UserID: userID, NoteID: otherNote, AuthorID: adminID, PII: user.NotePII{Text: "Second note"}, At: now}},
		},
		{
			name:       "note ID already used",
			given:      history(note),
			when:       addNote(noteID, adminID, "Called about billing."),
			wantErr:    domain.ErrConflict,
			wantFields: []string{"note_id:note_exists"},
		},
		{
			name:       "missing everything",
			given:      history(),
			when:       addNote(uuid.Nil, uuid.Nil, " \n "),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"note_id:required", "author_id:required", "text:required"},
		},
		{
			name:       "too long",
			given:      history(),
			when:       addNote(noteID, adminID, strings.Repeat("ü", user.MaxNoteLength+1)),
			wantErr:    domain.ErrInvalid,
			wantFields: []string{"text:too_long"},
		},
		{
			name:  "at the length limit",
			given: history(),
			when:  addNote(noteID, adminID, strings.Repeat("ü", user.MaxNoteLength)),
			then:  []domain.Event{user.NoteAdded{UserID: userID, NoteID: noteID, AuthorID: adminID, PII: user.NotePII{Text: strings.Repeat("ü", user.MaxNoteLength)}, At: now}},
		},
	})
}
