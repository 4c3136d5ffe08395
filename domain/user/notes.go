package user

import (
	"time"

	"github.com/google/uuid"

	"github.com/clarynext/usermgmt/domain"
)

// AddNote records an admin note about the user. The caller picks noteID
// (deterministic IDs keep retried jobs from adding a note twice) and names
// the admin in authorID. The text is trimmed, required and at most
// MaxNoteLength characters; line breaks are allowed. A second note with an
// ID the user already has is a *domain.ConflictError on "note_id".
func (u *User) AddNote(noteID, authorID uuid.UUID, text string, now time.Time) ([]domain.Event, error) {
	if err := u.mustExist(); err != nil {
		return nil, err
	}
	var idErr, authorErr error
	if noteID == uuid.Nil {
		idErr = domain.Invalid("note_id", domain.CodeRequired, "note ID is required")
	}
	if authorID == uuid.Nil {
		authorErr = domain.Invalid("author_id", domain.CodeRequired, "author is required")
	}
	text, textErr := cleanText("text", text, MaxNoteLength, true)
	if textErr == nil && text == "" {
		textErr = domain.Invalid("text", domain.CodeRequired, "note text is required")
	}
	if err := domain.CollectValidation(idErr, authorErr, textErr); err != nil {
		return nil, err
	}
	if u.notes[noteID] {
		return nil, &domain.ConflictError{Field: "note_id", Code: "note_exists", Message: "the user already has a note with this ID"}
	}
	return u.record(NoteAdded{
		UserID:   u.id,
		NoteID:   noteID,
		AuthorID: authorID,
		PII:      NotePII{Text: text},
		At:       eventTime(now),
	})
}
