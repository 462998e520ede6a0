// Package auditlog keeps Dissent's tamper-evident audit log: an
// append-only Merkle tree with RFC 6962 hashing over the events of the
// deployment, signed checkpoints in the C2SP signed-note / tlog-checkpoint
// format, inclusion proofs and receipts, the C2SP tlog-tiles view of the log,
// and the verification of the whole log against the database.
//
// The leaves are appended by internal/store in the transaction of the change
// they record; this package reads them, signs checkpoints, proves and
// verifies. The log holds no message text and no names: leaves carry kinds,
// ids, hashes and, for the acts of people who take part in a message, a salted
// commitment to their e-mail.
package auditlog

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/dissent-channel/dissent"
)

// CheckpointFile is where the newest checkpoint is also written, outside the
// database, so that a truncated log is caught.
const CheckpointFile = "checkpoint"

// Log is the audit log of one deployment.
type Log struct {
	store    dissent.Store
	origin   string
	signer   note.Signer
	verifier note.Verifier
	dir      string // where CheckpointFile lives; "" for none
	now      func() time.Time

	mu sync.Mutex // orders checkpoint writes to the file

	witnesses      []Witness
	onWitnessError func(error)

	checkMu sync.Mutex // serializes CheckNew
	checked int64      // the size CheckNew has verified up to
}

var _ dissent.AuditLog = (*Log)(nil)

// New returns the log kept in store, signing with key under the name
// origin, and writing its newest checkpoint to dir.
func New(store dissent.Store, origin string, key ed25519.PrivateKey, dir string, now func() time.Time) (*Log, error) {
	s, v, err := NewSigner(origin, key)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Log{store: store, origin: origin, signer: s, verifier: v, dir: dir, now: now}, nil
}

// Origin is the log's name, the first line of its checkpoints.
func (l *Log) Origin() string { return l.origin }

// VerifierKey returns the note verifier key of the log (the public key
// that `dissent receipt verify --key` takes).
func (l *Log) VerifierKey() string {
	k, _ := VerifierKey(l.origin, l.signer.(*signer).pub)
	return k
}

// reader adapts a transaction to tlog's HashReader.
func reader(ctx context.Context, tx dissent.Tx) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		hs, err := tx.ReadLogHashes(ctx, idx)
		if err != nil {
			return nil, err
		}
		out := make([]tlog.Hash, len(hs))
		for i, h := range hs {
			out[i] = h
		}
		return out, nil
	})
}

// Checkpoint implements dissent.AuditLog: the newest published
// checkpoint. It never signs one: checkpoints are published in batches
// (Publish), so that the public sees only how many entries each batch
// added, never when one act happened.
func (l *Log) Checkpoint(ctx context.Context) ([]byte, error) {
	var signed []byte
	err := l.store.View(ctx, func(tx dissent.Tx) error {
		sizes, notes, err := tx.Checkpoints(ctx)
		if err != nil {
			return err
		}
		if len(sizes) == 0 {
			return dissent.ErrNotFound("checkpoint (none published yet)")
		}
		signed = notes[len(notes)-1]
		return nil
	})
	return signed, err
}

// integrateBatch bounds how many entries one integration takes.
const integrateBatch = 4096

// Integrate gives every pending entry its leaf index. On SQLite the store's
// writer integrates at the end of each batch, so there is rarely anything
// left; on PostgreSQL one instance at a time does it, under a transaction
// advisory lock that no request takes.
func (l *Log) Integrate(ctx context.Context) (int64, error) {
	var size int64
	for {
		before := size
		err := l.store.Update(ctx, func(tx dissent.Tx) error {
			if lk, ok := tx.(interface {
				LockLogIntegration(context.Context) (bool, error)
			}); ok {
				got, err := lk.LockLogIntegration(ctx)
				if err != nil || !got {
					return err
				}
			}
			var err error
			size, err = tx.IntegrateLog(ctx, integrateBatch)
			return err
		})
		if err != nil {
			return 0, err
		}
		if size-before < integrateBatch {
			return size, nil
		}
	}
}

// Publish integrates the pending entries and, if the tree has grown since
// the newest published checkpoint, signs and stores a checkpoint of it,
// writes it to the checkpoint file and hands it to the witnesses. serve
// calls it on a fixed interval.
func (l *Log) Publish(ctx context.Context) ([]byte, error) {
	if _, err := l.Integrate(ctx); err != nil {
		return nil, err
	}
	var signed []byte
	fresh := false
	err := l.store.Update(ctx, func(tx dissent.Tx) error {
		size, err := tx.LogSize(ctx)
		if err != nil {
			return err
		}
		sizes, notes, err := tx.Checkpoints(ctx)
		if err != nil {
			return err
		}
		if len(sizes) > 0 && sizes[len(sizes)-1] >= size {
			signed = notes[len(notes)-1]
			return nil
		}
		if size == 0 {
			return dissent.ErrNotFound("checkpoint (the log is empty)")
		}
		root, err := tlog.TreeHash(size, reader(ctx, tx))
		if err != nil {
			return fmt.Errorf("tree hash: %w", err)
		}
		if signed, err = l.sign(size, root); err != nil {
			return err
		}
		fresh = true
		return tx.AddCheckpoint(ctx, size, signed, l.now().UTC())
	})
	if err != nil {
		return nil, err
	}
	if err := l.writeFile(signed); err != nil {
		return nil, err
	}
	if fresh {
		l.witness(ctx, signed)
	}
	return signed, nil
}

func (l *Log) sign(size int64, root tlog.Hash) ([]byte, error) {
	cp := log.Checkpoint{Origin: l.origin, Size: uint64(size), Hash: root[:]}
	signed, err := note.Sign(&note.Note{Text: string(cp.Marshal())}, l.signer)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	return signed, nil
}

// writeFile keeps the newest checkpoint outside the database; it never
// replaces a larger one.
func (l *Log) writeFile(signed []byte) error {
	if l.dir == "" {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	path := filepath.Join(l.dir, CheckpointFile)
	if old, err := os.ReadFile(path); err == nil {
		if oc, err := l.open(old); err == nil {
			nc, err := l.open(signed)
			if err != nil {
				return err
			}
			if oc.Size >= nc.Size {
				return nil
			}
		}
	}
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return fmt.Errorf("write checkpoint file: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write checkpoint file: %w", err)
	}
	_, werr := f.Write(signed)
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("write checkpoint file: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write checkpoint file: %w", err)
	}
	return nil
}

// open verifies a signed checkpoint of this log and parses it.
func (l *Log) open(signed []byte) (*log.Checkpoint, error) {
	cp, _, _, err := log.ParseCheckpoint(signed, l.origin, l.verifier)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return cp, nil
}

// Prove implements dissent.AuditLog: the inclusion proof of the entry
// with sequence number seq. The entry is integrated first if need be; the
// proof is against the newest published checkpoint when that covers it,
// else against a checkpoint signed for this proof alone and not published
// (the receipt's holder learns the tree's size at their act; the public
// does not).
func (l *Log) Prove(ctx context.Context, seqs ...int64) (dissent.Proof, error) {
	var p dissent.Proof
	for attempt := 0; attempt < 100; attempt++ {
		integrated := false
		err := l.store.View(ctx, func(tx dissent.Tx) error {
			var es []dissent.LogEntry
			maxLeaf := int64(-1)
			for _, seq := range seqs {
				e, err := tx.EntryBySeq(ctx, seq)
				if err != nil {
					return err
				}
				if e.Leaf < 0 {
					return nil
				}
				es = append(es, e)
				maxLeaf = max(maxLeaf, e.Leaf)
			}
			integrated = true
			size, err := tx.LogSize(ctx)
			if err != nil {
				return err
			}
			sizes, notes, err := tx.Checkpoints(ctx)
			if err != nil {
				return err
			}
			var note []byte
			if len(sizes) > 0 && sizes[len(sizes)-1] > maxLeaf {
				size, note = sizes[len(sizes)-1], notes[len(notes)-1]
			} else {
				root, err := tlog.TreeHash(size, reader(ctx, tx))
				if err != nil {
					return fmt.Errorf("tree hash: %w", err)
				}
				if note, err = l.sign(size, root); err != nil {
					return err
				}
			}
			p = dissent.Proof{Checkpoint: note}
			for _, e := range es {
				proof, err := tlog.ProveRecord(size, e.Leaf, reader(ctx, tx))
				if err != nil {
					return fmt.Errorf("prove entry %d: %w", e.Seq, err)
				}
				re := dissent.ReceiptEntry{LeafIndex: e.Leaf, Entry: e.Payload, EntrySalt: e.Salt}
				for _, h := range proof {
					re.Proof = append(re.Proof, append([]byte(nil), h[:]...))
				}
				p.Entries = append(p.Entries, re)
			}
			return nil
		})
		if err != nil || integrated {
			return p, err
		}
		if _, err := l.Integrate(ctx); err != nil {
			return p, err
		}
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return p, ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return p, fmt.Errorf("entries %v are not integrated into the log yet", seqs)
}

// Tile implements dissent.AuditLog for the C2SP tlog-tiles paths
// "tile/<L>/<N>[.p/<W>]" and "tile/entries/<N>[.p/<W>]", with tiles of
// height 8 (256 hashes or entries).
func (l *Log) Tile(ctx context.Context, path string) ([]byte, error) {
	rest, ok := strings.CutPrefix(path, "tile/")
	if !ok {
		return nil, dissent.ErrNotFound("tile")
	}
	entries := strings.HasPrefix(rest, "entries/")
	level := "0"
	if entries {
		rest = strings.TrimPrefix(rest, "entries/")
	} else {
		var found bool
		level, rest, found = strings.Cut(rest, "/")
		if !found {
			return nil, dissent.ErrNotFound("tile")
		}
	}
	t, err := tlog.ParseTilePath("tile/8/" + level + "/" + rest)
	if err != nil || (entries && t.L != 0) || t.L < 0 || t.L > 5 {
		return nil, dissent.ErrNotFound("tile")
	}
	var out []byte
	err = l.store.View(ctx, func(tx dissent.Tx) error {
		sizes, _, err := tx.Checkpoints(ctx)
		if err != nil {
			return err
		}
		if len(sizes) == 0 {
			return dissent.ErrNotFound("tile")
		}
		size := sizes[len(sizes)-1]
		// A tile exists once the checkpointed tree covers it.
		span := int64(1) << (uint(t.H) * uint(t.L))
		if (t.N*256+int64(t.W))*span > size {
			return dissent.ErrNotFound("tile")
		}
		if !entries {
			out, err = tlog.ReadTileData(t, reader(ctx, tx))
			return err
		}
		leaves, err := tx.LogCommitments(ctx, t.N*256, t.N*256+int64(t.W))
		if err != nil {
			return err
		}
		for _, d := range leaves {
			if len(d) > 0xffff {
				return fmt.Errorf("leaf of %d bytes does not fit an entry bundle", len(d))
			}
			out = append(out, byte(len(d)>>8), byte(len(d)))
			out = append(out, d...)
		}
		return nil
	})
	return out, err
}

// signer is a note.Signer over an Ed25519 key.
type signer struct {
	name string
	hash uint32
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
}

func (s *signer) Name() string                    { return s.name }
func (s *signer) KeyHash() uint32                 { return s.hash }
func (s *signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.priv, msg), nil }

// VerifierKey is the note verifier key ("name+hash+base64") of a log's
// public key.
func VerifierKey(origin string, pub ed25519.PublicKey) (string, error) {
	return note.NewEd25519VerifierKey(origin, pub)
}

// NewSigner returns the note signer and verifier of a log's key.
func NewSigner(origin string, key ed25519.PrivateKey) (note.Signer, note.Verifier, error) {
	pub := key.Public().(ed25519.PublicKey)
	vkey, err := VerifierKey(origin, pub)
	if err != nil {
		return nil, nil, fmt.Errorf("log key: %w", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, nil, fmt.Errorf("log key: %w", err)
	}
	return &signer{name: origin, hash: v.KeyHash(), priv: key, pub: pub}, v, nil
}

// ParseVerifierKey parses a verifier key and returns the log's origin.
func ParseVerifierKey(vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("log public key: %w", err)
	}
	return v, nil
}
