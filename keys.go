package dissent

import "context"

// This file holds key rotation: after the command line has made a new
// key-encryption key active in the keyring, the Service rewraps the data keys
// under it and records the rotation. The keyring itself (internal/seal) is
// the command line's to change; the Service sees it only through the store's
// Sealer.

// KeyRotation is what RotateKeys did.
type KeyRotation struct {
	Rewrapped int      // data keys rewrapped under the active key
	Unused    []string // the old key-encryption keys that now wrap no data key: safe to retire
}

// rewrapBatch is how many data keys one transaction rewraps, so that the
// service keeps running while a rotation goes on.
const rewrapBatch = 100

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
