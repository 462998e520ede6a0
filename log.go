package dissent

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// This file holds what the Service offers of the audit log: receipts,
// checkpoints and tiles, the auditor's overview, and key rotation: after
// the command line has made a new key-encryption key active in the keyring,
// the Service rewraps the data keys under it and records the rotation. The
// keyring itself (internal/seal) is the command line's to change; the
// Service sees it only through the store's Sealer.

// Receipt returns the caller's receipt for a submitted message.
func (s *Service) Receipt(ctx context.Context, a Actor, id MessageID) (Receipt, error) {
	if s.audit == nil {
		return Receipt{}, &Error{Kind: KindUnavailable, Code: "no_log", Message: "the audit log is not configured"}
	}
	var r Receipt
	var act, submission int64
	err := s.store.View(ctx, func(tx Tx) error {
		m, f, err := s.authorize(ctx, tx, a, id, ActReceipt, s.now().UTC())
		if err != nil {
			return err
		}
		if m.SubmittedAt.IsZero() {
			return &Error{Kind: KindConflict, Code: "not_submitted", Field: "state", Message: "receipts are issued once a message is submitted"}
		}
		r = Receipt{Format: ReceiptFormat, MessageID: m.ID, Version: m.Version, ContentHash: m.ContentHash, SubmittedAt: m.SubmittedAt}
		events, err := tx.Events(ctx, m.ID, ClassStep, ClassAct)
		if err != nil {
			return err
		}
		wantDetail := "version " + strconv.Itoa(m.Version) + " " + m.ContentHash
		act, submission = -1, -1
		var uncounted string
		for _, e := range events {
			if e.Kind == "message.submitted" {
				submission = e.ID
				_, uncounted, _ = strings.Cut(e.Detail, " uncounted ")
			}
			if e.ActorID != a.ID || !e.Protected {
				continue
			}
			switch {
			case f.Drafter && e.Kind == "message.submitted":
				r.Act = "submitted"
			case !f.Drafter && e.Kind == "signature.added" && e.Detail == wantDetail:
				r.Act = "signed"
			default:
				continue
			}
			r.At, r.Email, r.Salt, act = e.At, e.ActorEmail, e.ActorSalt, e.ID
		}
		if act < 0 {
			return &Error{Kind: KindConflict, Code: "not_signed", Message: "you did not sign the submitted version of this message"}
		}
		r.Counted = !slices.Contains(strings.Split(uncounted, ","), ActorCommit(r.Salt, r.Email))
		if submission < 0 {
			return fmt.Errorf("message %s is submitted but its log has no submission", m.ID)
		}
		return nil
	})
	if err != nil {
		return Receipt{}, err
	}
	seqs := []int64{act}
	if submission != act {
		seqs = append(seqs, submission)
	}
	p, err := s.audit.Prove(ctx, seqs...)
	if err != nil {
		return Receipt{}, err
	}
	r.Entries, r.Checkpoint = p.Entries, string(p.Checkpoint)
	return r, nil
}

// LogCheckpoint returns the newest signed checkpoint of the audit log.
func (s *Service) LogCheckpoint(ctx context.Context) ([]byte, error) {
	if s.audit == nil {
		return nil, ErrNotFound("log")
	}
	return s.audit.Checkpoint(ctx)
}

// LogTile returns a C2SP tlog-tiles resource of the audit log. The log holds
// no text and no names, so it is public.
func (s *Service) LogTile(ctx context.Context, path string) ([]byte, error) {
	if s.audit == nil {
		return nil, ErrNotFound("log")
	}
	return s.audit.Tile(ctx, path)
}

// AuditOverview returns the auditor's overview, events older than before
// (0 for the newest).
func (s *Service) AuditOverview(ctx context.Context, a Actor, before int64, limit int) (AuditOverview, error) {
	if err := permit(a, ActReadAuditOverview); err != nil {
		return AuditOverview{}, err
	}
	if limit <= 0 || limit > MaxPageSize {
		limit = DefaultPageSize
	}
	var o AuditOverview
	err := s.store.View(ctx, func(tx Tx) error {
		var err error
		if o.Size, err = tx.LogSize(ctx); err != nil {
			return err
		}
		if before <= 0 {
			before = 1 << 62
		}
		es, err := tx.RecentEvents(ctx, before, limit)
		if err != nil {
			return err
		}
		for _, e := range es {
			v := EventView{Index: e.ID, At: e.At, Kind: e.Kind, Role: e.ActorRole, MessageID: e.MessageID, Detail: e.Detail}
			if !e.Protected {
				v.ActorID = e.ActorID
			}
			o.Events = append(o.Events, v)
		}
		if len(es) == limit && es[len(es)-1].ID > 0 {
			o.Next = es[len(es)-1].ID
		}
		return nil
	})
	if err != nil {
		return o, err
	}
	if s.audit != nil && o.Size > 0 {
		// The newest published checkpoint; none yet is no error.
		cp, err := s.audit.Checkpoint(ctx)
		if err != nil && ErrorKind(err) != KindNotFound {
			return o, err
		}
		o.Checkpoint = string(cp)
	}
	return o, nil
}

// RotateKeys rewraps the audit log's and every message's data key that is not yet under the
// key-encryption key active, in small transactions, then reports which of
// old no longer wrap any data key, and appends a keys.rotated event. Only the
// System actor (the command line, which holds the keyring) may call it. If
// it fails midway, calling it again finishes the work.
//
// progress, if given, is told how many data keys are rewrapped so far.
func (s *Service) RotateKeys(ctx context.Context, a Actor, active string, old []string, progress ...func(done int)) (KeyRotation, error) {
	if err := permit(a, ActRotateKeys); err != nil {
		return KeyRotation{}, err
	}
	var r KeyRotation
	// The audit log's data key first, then the messages'.
	if err := s.store.Update(ctx, func(tx Tx) error { return tx.RewrapLogKey(ctx) }); err != nil {
		return r, err
	}
	for {
		var ids []MessageID
		err := s.store.Update(ctx, func(tx Tx) error {
			var err error
			if ids, err = tx.StaleMessageKeys(ctx, active, rewrapBatch); err != nil {
				return err
			}
			for _, id := range ids {
				if err := tx.RewrapMessageKey(ctx, id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return r, err
		}
		r.Rewrapped += len(ids)
		for _, p := range progress {
			p(r.Rewrapped)
		}
		if len(ids) == 0 {
			break
		}
	}
	err := s.store.Update(ctx, func(tx Tx) error {
		for _, k := range old {
			if k == active {
				continue
			}
			n, err := tx.CountKeysUnder(ctx, k)
			if err != nil {
				return err
			}
			if n == 0 {
				r.Unused = append(r.Unused, k)
			}
		}
		return tx.AppendEvent(ctx, Event{At: s.now().UTC(), ActorRole: RoleAdmin, Kind: "keys.rotated", Detail: "active " + active})
	})
	return r, err
}

// KeyRotation is what RotateKeys did.
type KeyRotation struct {
	Rewrapped int      // data keys rewrapped under the active key
	Unused    []string // the old key-encryption keys that now wrap no data key: safe to retire
}

// rewrapBatch is how many data keys one transaction rewraps, so that the
// service keeps running while a rotation goes on.
const rewrapBatch = 100

// AuditOverview is what the auditor's page shows: the log's size, its
// newest signed checkpoint and recent events, without content.
type AuditOverview struct {
	Size       int64
	Checkpoint string
	Events     []EventView
	Next       int64 // the before of the next (older) page; 0 on the last
}
