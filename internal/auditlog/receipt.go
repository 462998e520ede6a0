package auditlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/dissent-channel/dissent"
)

// maxReceipt bounds what VerifyReceipt reads.
const maxReceipt = 4 << 20

// VerifyReceipt checks a receipt offline with only the log's verifier key:
// the checkpoint's signature; each entry's commitment, recomputed from its
// payload and salt, included in the checkpointed tree; and that the entries
// record exactly what the receipt states — the act, the message, the person
// (the e-mail and salt open the entry's commitment), the time, the version
// and content hash, and the time of submission. A receipt whose JSON has a
// duplicate or unknown key is refused, so that no two parsers read it
// differently. It returns the receipt when all hold.
func VerifyReceipt(data []byte, verifierKey string) (*dissent.Receipt, error) {
	if len(data) > maxReceipt {
		return nil, fmt.Errorf("receipt: larger than %d bytes", maxReceipt)
	}
	v, err := ParseVerifierKey(verifierKey)
	if err != nil {
		return nil, err
	}
	if err := noDuplicateKeys(data); err != nil {
		return nil, fmt.Errorf("receipt: %w", err)
	}
	var r dissent.Receipt
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("receipt: not a receipt: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("receipt: data after the receipt")
	}
	if r.Format != dissent.ReceiptFormat {
		return nil, fmt.Errorf("receipt: unknown format %q", r.Format)
	}
	cp, _, _, err := log.ParseCheckpoint([]byte(r.Checkpoint), v.Name(), v)
	if err != nil {
		return nil, fmt.Errorf("receipt: checkpoint does not verify with the log's key: %w", err)
	}
	if len(cp.Hash) != tlog.HashSize {
		return nil, errors.New("receipt: checkpoint root is not a SHA-256 hash")
	}
	var root tlog.Hash
	copy(root[:], cp.Hash)
	if len(r.Entries) == 0 || len(r.Entries) > 2 {
		return nil, fmt.Errorf("receipt: %d entries, want the act's and the submission's", len(r.Entries))
	}
	recs := make([]dissent.EntryRecord, len(r.Entries))
	for i, e := range r.Entries {
		if e.LeafIndex < 0 || uint64(e.LeafIndex) >= cp.Size {
			return nil, fmt.Errorf("receipt: entry %d is outside the checkpointed tree of %d entries", e.LeafIndex, cp.Size)
		}
		proof := make(tlog.RecordProof, len(e.Proof))
		for j, h := range e.Proof {
			if len(h) != tlog.HashSize {
				return nil, fmt.Errorf("receipt: proof hash %d has %d bytes", j, len(h))
			}
			copy(proof[j][:], h)
		}
		leaf := dissent.EntryCommitment(e.EntrySalt, e.Entry)
		if err := tlog.CheckRecord(proof, int64(cp.Size), root, e.LeafIndex, tlog.RecordHash(leaf)); err != nil {
			return nil, fmt.Errorf("receipt: entry %d is not in the log: %w", e.LeafIndex, err)
		}
		if err := noDuplicateKeys(e.Entry); err != nil {
			return nil, fmt.Errorf("receipt: entry %d: %w", e.LeafIndex, err)
		}
		d := json.NewDecoder(bytes.NewReader(e.Entry))
		d.DisallowUnknownFields()
		if err := d.Decode(&recs[i]); err != nil {
			return nil, fmt.Errorf("receipt: entry %d: %w", e.LeafIndex, err)
		}
	}
	var problems []string
	check := func(ok bool, what string) {
		if !ok {
			problems = append(problems, what)
		}
	}
	act := recs[0]
	wantKind := map[string]string{"submitted": "message.submitted", "signed": "signature.added"}[r.Act]
	check(wantKind != "" && act.Kind == wantKind, "act "+strconv.Quote(r.Act)+" but the log records "+strconv.Quote(act.Kind))
	check(act.V == dissent.EntryVersion, "entry version")
	check(act.Message == string(r.MessageID), "message id")
	check(act.ActorCommit != "" && act.ActorCommit == dissent.ActorCommit(r.Salt, r.Email), "person (e-mail and salt do not open the log's commitment)")
	at, err := time.Parse(time.RFC3339Nano, act.At)
	check(err == nil && at.Equal(r.At), "time")
	wantDetail := "version " + strconv.Itoa(r.Version) + " " + r.ContentHash
	submission := act
	if r.Act == "signed" {
		check(act.Detail == wantDetail, "version and content hash")
		check(len(recs) == 2, "the submission's entry is missing")
		if len(recs) == 2 {
			submission = recs[1]
		}
	} else {
		check(len(recs) == 1, "an entry too many")
	}
	check(submission.Kind == "message.submitted", "the submission's entry records "+strconv.Quote(submission.Kind))
	check(submission.Message == string(r.MessageID), "the submission's message id")
	check(strings.HasPrefix(submission.Detail, wantDetail), "the submitted version and content hash")
	_, uncounted, _ := strings.Cut(submission.Detail, " uncounted ")
	isUncounted := act.ActorCommit != "" && slices.Contains(strings.Split(uncounted, ","), act.ActorCommit)
	check(r.Counted == !isUncounted, "whether the signature counted")
	sat, err := time.Parse(time.RFC3339Nano, submission.At)
	check(err == nil && !r.SubmittedAt.IsZero() && sat.Equal(r.SubmittedAt), "time of submission")
	if len(problems) > 0 {
		return nil, fmt.Errorf("receipt: the log's entries do not match the receipt's %v", problems)
	}
	return &r, nil
}

// noDuplicateKeys refuses JSON in which an object has a key twice.
func noDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("not JSON: %w", err)
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return fmt.Errorf("not JSON: %w", err)
				}
				key, _ := k.(string)
				if seen[key] {
					return fmt.Errorf("the key %q appears twice", key)
				}
				seen[key] = true
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for dec.More() {
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	return walk()
}
