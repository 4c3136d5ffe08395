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
			Name:  "add",
			Given: history(),
			When:  addNote(noteID, adminID, "  Called about billing.\nPrefers email.\n"),
			Then: []domain.Event{user.NoteAdded{
				UserID: userID, NoteID: noteID, AuthorID: adminID,
				PII: user.NotePII{Text: "Called about billing.\nPrefers email."}, At: now,
			}},
		},
		{
			Name:  "suspended users can get notes",
			Given: history(suspended(""), note),
			When:  addNote(otherNote, adminID, "Second note"),
			Then:  []domain.Event{user.NoteAdded{UserID: userID, NoteID: otherNote, AuthorID: adminID, PII: user.NotePII{Text: "Second note"}, At: now}},
		},
		{
			Name:       "note ID already used",
			Given:      history(note),
			When:       addNote(noteID, adminID, "Called about billing."),
			WantErr:    domain.ErrConflict,
			WantFields: []string{"note_id:note_exists"},
		},
		{
			Name:       "missing everything",
			Given:      history(),
			When:       addNote(uuid.Nil, uuid.Nil, " \n "),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"note_id:required", "author_id:required", "text:required"},
		},
		{
			Name:       "too long",
			Given:      history(),
			When:       addNote(noteID, adminID, strings.Repeat("ü", user.MaxNoteLength+1)),
			WantErr:    domain.ErrInvalid,
			WantFields: []string{"text:too_long"},
		},
		{
			Name:  "at the length limit",
			Given: history(),
			When:  addNote(noteID, adminID, strings.Repeat("ü", user.MaxNoteLength)),
			Then:  []domain.Event{user.NoteAdded{UserID: userID, NoteID: noteID, AuthorID: adminID, PII: user.NotePII{Text: strings.Repeat("ü", user.MaxNoteLength)}, At: now}},
		},
	})
}
