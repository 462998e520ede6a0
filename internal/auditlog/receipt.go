package auditlog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/dissent-channel/dissent"
)

// maxReceipt bounds what VerifyReceipt reads.
const maxReceipt = 1 << 20

// VerifyReceipt checks a receipt offline with only the log's verifier key:
// the checkpoint's signature, the leaf's inclusion in the checkpointed tree,
// and that the leaf records exactly the act, message, content hash, time and
// person the receipt states. It returns the receipt when all hold.
func VerifyReceipt(data []byte, verifierKey string) (*dissent.Receipt, error) {
	if len(data) > maxReceipt {
		return nil, fmt.Errorf("receipt: larger than %d bytes", maxReceipt)
	}
	v, err := ParseVerifierKey(verifierKey)
	if err != nil {
		return nil, err
	}
	var r dissent.Receipt
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("receipt: not a receipt: %w", err)
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
	if r.LeafIndex < 0 || uint64(r.LeafIndex) >= cp.Size {
		return nil, fmt.Errorf("receipt: leaf %d is outside the checkpointed tree of %d leaves", r.LeafIndex, cp.Size)
	}
	proof := make(tlog.RecordProof, len(r.Proof))
	for i, h := range r.Proof {
		if len(h) != tlog.HashSize {
			return nil, fmt.Errorf("receipt: proof hash %d has %d bytes", i, len(h))
		}
		copy(proof[i][:], h)
	}
	var root tlog.Hash
	copy(root[:], cp.Hash)
	if err := tlog.CheckRecord(proof, int64(cp.Size), root, r.LeafIndex, tlog.RecordHash(r.Leaf)); err != nil {
		return nil, fmt.Errorf("receipt: the leaf is not in the log: %w", err)
	}
	var leaf dissent.LeafRecord
	if err := json.Unmarshal(r.Leaf, &leaf); err != nil {
		return nil, fmt.Errorf("receipt: leaf: %w", err)
	}
	wantKind := map[string]string{"submitted": "message.submitted", "signed": "signature.added"}[r.Act]
	var problems []string
	check := func(ok bool, what string) {
		if !ok {
			problems = append(problems, what)
		}
	}
	check(wantKind != "" && leaf.Kind == wantKind, "act "+strconv.Quote(r.Act)+" but the log records "+strconv.Quote(leaf.Kind))
	check(leaf.Index == r.LeafIndex, "leaf index")
	check(leaf.Message == string(r.MessageID), "message id")
	check(leaf.ActorCommit != "" && leaf.ActorCommit == dissent.ActorCommit(r.Salt, r.Email), "person (e-mail and salt do not open the log's commitment)")
	at, err := time.Parse(time.RFC3339Nano, leaf.At)
	check(err == nil && at.Equal(r.At), "time")
	wantDetail := "version " + strconv.Itoa(r.Version) + " " + r.ContentHash
	if r.Act == "submitted" {
		check(len(leaf.Detail) >= len(wantDetail) && leaf.Detail[:len(wantDetail)] == wantDetail, "version and content hash")
	} else {
		check(leaf.Detail == wantDetail, "version and content hash")
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("receipt: the log's leaf does not match the receipt's %v", problems)
	}
	return &r, nil
}
