package dissent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Attachments (annexes) of a message (SPEC §2). Their names and bytes are
// sealed under the message's key like the text; their SHA-256 hashes are
// part of the content hash, so adding or removing one makes a new version
// that the signers sign again. Visibility is the message's: whoever may read
// its text may read its attachments, and each read by someone other than
// the authors is recorded in the access log ("read.attachment").

// The default limits; ServiceConfig overrides them.
const (
	DefaultMaxAttachmentBytes = 25 << 20 // 25 MiB a file
	DefaultMaxAttachments     = 10       // files a message
	MaxAttachmentName         = 255      // characters
)

// AttachmentTx stores attachments.
type AttachmentTx interface {
	// InsertAttachment stores an attachment's row with its bytes, sealed.
	InsertAttachment(ctx context.Context, a Attachment, content []byte) error
	// AttachmentContent reads one attachment of the message, bytes opened.
	// A missing one (or one of another message) is KindNotFound.
	AttachmentContent(ctx context.Context, id MessageID, aid string) (Attachment, []byte, error)
}

// AttachmentLimits returns the largest file, in bytes, and the most files a
// message may carry.
func (s *Service) AttachmentLimits() (maxBytes int64, maxFiles int) {
	return s.maxAttachBytes, s.maxAttachments
}

// ErrAttachmentTooLarge is the error for a file over the size limit.
func (s *Service) ErrAttachmentTooLarge() error {
	return &Error{Kind: KindTooLarge, Code: "too_large", Field: "file", Limit: int(s.maxAttachBytes),
		Message: "file must be at most " + strconv.FormatInt(s.maxAttachBytes, 10) + " bytes (" + sizeWords(s.maxAttachBytes) + ")"}
}

func sizeWords(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// cleanAttachmentName keeps the last element of a path and checks it.
func cleanAttachmentName(name string) (string, error) {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(name)
	if err := checkText("name", name, MaxAttachmentName, false, true); err != nil {
		return "", err
	}
	if name == "." || name == ".." {
		return "", errInvalid("name", "malformed_name", "name must be a file name")
	}
	return name, nil
}

// AddAttachment adds a file to the message: a new version, which the
// drafter signs and every other signer must sign again.
func (s *Service) AddAttachment(ctx context.Context, a Actor, id MessageID, name string, content []byte) (Attachment, error) {
	name, err := cleanAttachmentName(name)
	if err != nil {
		return Attachment{}, err
	}
	if int64(len(content)) > s.maxAttachBytes {
		return Attachment{}, s.ErrAttachmentTooLarge()
	}
	sum := sha256.Sum256(content)
	var out Attachment
	// An attachment makes a new version: the event is an edit, which the
	// log's replay counts as one; the detail says what changed.
	_, err = s.mutate(ctx, a, id, ActEdit, "message.edited", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if !m.State.Editable() {
			return "", conflictState(*m, "attach a file to")
		}
		if len(m.Attachments) >= s.maxAttachments {
			return "", &Error{Kind: KindTooLarge, Code: "too_many", Field: "file", Limit: s.maxAttachments,
				Message: "a message may carry at most " + strconv.Itoa(s.maxAttachments) + " attachments"}
		}
		out = Attachment{ID: newRandomID(), MessageID: m.ID, Name: NewText(name), Size: int64(len(content)),
			SHA256: hex.EncodeToString(sum[:]), Created: now}
		if err := tx.InsertAttachment(ctx, out, content); err != nil {
			return "", err
		}
		m.Attachments = append(slices.Clip(m.Attachments), out)
		if _, err := s.newVersion(ctx, tx, a, m, now); err != nil {
			return "", err
		}
		return "version " + strconv.Itoa(m.Version) + " " + m.ContentHash + " attachment added " + out.SHA256, nil
	})
	return out, err
}

// RemoveAttachment takes a file off the message while it is editable: a new
// version without it. The bytes stay with the versions that held it.
func (s *Service) RemoveAttachment(ctx context.Context, a Actor, id MessageID, aid string) (Message, error) {
	return s.mutate(ctx, a, id, ActEdit, "message.edited", func(tx Tx, m *Message, f Facts, now time.Time) (string, error) {
		if !m.State.Editable() {
			return "", conflictState(*m, "remove an attachment from")
		}
		i := slices.IndexFunc(m.Attachments, func(x Attachment) bool { return x.ID == aid })
		if i < 0 {
			return "", ErrNotFound("attachment")
		}
		removed := m.Attachments[i].SHA256
		m.Attachments = slices.Delete(slices.Clone(m.Attachments), i, i+1)
		if _, err := s.newVersion(ctx, tx, a, m, now); err != nil {
			return "", err
		}
		return "version " + strconv.Itoa(m.Version) + " " + m.ContentHash + " attachment removed " + removed, nil
	})
}

// GetAttachment returns one attachment of the message's current version
// with its bytes, to whoever may read the message's text; the read is
// recorded for everyone but the authors, in the transaction it is served
// from.
func (s *Service) GetAttachment(ctx context.Context, a Actor, id MessageID, aid string) (Attachment, []byte, error) {
	var att Attachment
	var content []byte
	err := s.store.Update(ctx, func(tx Tx) error {
		now := s.now().UTC()
		m, f, err := s.authorize(ctx, tx, a, id, ActReadText, now)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(m.Attachments, func(x Attachment) bool { return x.ID == aid }) {
			return ErrNotFound("attachment")
		}
		if att, content, err = tx.AttachmentContent(ctx, id, aid); err != nil {
			return err
		}
		if !needsRecord(f) {
			return nil
		}
		return tx.AppendEvent(ctx, messageEvent(a, eventRole(a, ActReadText, f), "read.attachment", id,
			"version "+strconv.Itoa(m.Version)+" attachment "+att.SHA256, f, now))
	})
	if err != nil {
		return Attachment{}, nil, err
	}
	return att, content, nil
}

// SetAttachmentLimits changes the limits (0 keeps the default); call it
// before serving.
func (s *Service) SetAttachmentLimits(maxBytes int64, maxFiles int) {
	if maxBytes > 0 {
		s.maxAttachBytes = maxBytes
	}
	if maxFiles > 0 {
		s.maxAttachments = maxFiles
	}
}
