package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/dissent-channel/dissent"
)

// The SQL of the reads (read.go in the root package): the access log,
// invitees kept sealed so the authors can list them, signers, endorsements.

func (t *txn) AccessLog(ctx context.Context, id dissent.MessageID) ([]dissent.AccessEntry, error) {
	reads, err := t.Events(ctx, id, dissent.ClassRead)
	if err != nil {
		return nil, err
	}
	ids := make([]dissent.PersonID, len(reads))
	for i, e := range reads {
		ids[i] = e.ActorID
	}
	people, err := t.peopleByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]dissent.AccessEntry, len(reads))
	for i, e := range reads {
		p := people[e.ActorID]
		out[i] = dissent.AccessEntry{At: e.At, Kind: strings.TrimPrefix(e.Kind, "read."), Role: e.ActorRole, OrgID: p.OrgID, UnitID: p.UnitID, Name: p.Name}
	}
	return out, nil
}

// invitationRow is the place an invitation's sealed person is bound to.
func invitationRow(id dissent.MessageID, tag []byte) string { return notificationRow(id, tag) }

// Invitations opens the invitees of a message, oldest first.
func (t *txn) Invitations(ctx context.Context, id dissent.MessageID) ([]dissent.Invitation, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT person_tag, person_sealed, created FROM invitations WHERE message_id = $1 ORDER BY created, person_tag`, string(id))
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	type row struct {
		tag, sealed []byte
		created     sql.NullInt64
	}
	var rs []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.tag, &r.sealed, &r.created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan invitation: %w", err)
		}
		rs = append(rs, r)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	out := make([]dissent.Invitation, len(rs))
	for i, r := range rs {
		out[i].Created = fromNS(r.created)
		if len(r.sealed) == 0 {
			continue
		}
		if out[i].PersonID, err = t.openPerson(ctx, id, "invitations", invitationRow(id, r.tag), "person_sealed", r.sealed); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (t *txn) Signers(ctx context.Context, id dissent.MessageID, version int, reader dissent.PersonID) ([]dissent.SignerRow, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT signer_tag, signer_sealed, content_hash, min_cosigners, signed
		FROM signatures WHERE message_id = $1 AND version = $2 AND withdrawn IS NULL ORDER BY signed, id`, string(id), version)
	if err != nil {
		return nil, fmt.Errorf("list signers: %w", err)
	}
	type raw struct {
		r      dissent.SignerRow
		tag    []byte
		sealed []byte
	}
	var rs []raw
	for rows.Next() {
		x := raw{r: dissent.SignerRow{Signature: dissent.Signature{MessageID: id, Version: version}}}
		var signed sql.NullInt64
		if err := rows.Scan(&x.tag, &x.sealed, &x.r.ContentHash, &x.r.MinCosigners, &signed); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan signer: %w", err)
		}
		x.r.Signed = fromNS(signed)
		rs = append(rs, x)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list signers: %w", err)
	}
	withheld, err := t.subordinateTags(ctx, id, reader)
	if err != nil {
		return nil, err
	}
	ids := make([]dissent.PersonID, len(rs))
	out := make([]dissent.SignerRow, len(rs))
	for i, x := range rs {
		p, err := t.openPerson(ctx, id, "signatures", signatureRow(id, version, x.tag), "signer_sealed", x.sealed)
		if err != nil {
			return nil, err
		}
		ids[i] = p
		out[i] = x.r
		out[i].PersonID = p
		out[i].Withheld = withheld[string(x.tag)]
	}
	people, err := t.peopleByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		p, ok := people[out[i].PersonID]
		if !ok {
			return nil, fmt.Errorf("message %s: signer %d is not in the directory", id, out[i].PersonID)
		}
		out[i].Person = p
	}
	return out, nil
}

func (t *txn) Endorsements(ctx context.Context, id dissent.MessageID) ([]dissent.Endorsement, error) {
	rows, err := t.q.QueryContext(ctx, `SELECT person_tag, body, endorsed_at FROM endorsers WHERE message_id = $1 AND endorsed_at IS NOT NULL ORDER BY endorsed_at, person_tag`, string(id))
	if err != nil {
		return nil, fmt.Errorf("list endorsements: %w", err)
	}
	var out []dissent.Endorsement
	var tags, bodies [][]byte
	for rows.Next() {
		e := dissent.Endorsement{MessageID: id}
		var tag, body []byte
		var at sql.NullInt64
		if err := rows.Scan(&tag, &body, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan endorsement: %w", err)
		}
		e.Created = fromNS(at)
		out = append(out, e)
		tags, bodies = append(tags, tag), append(bodies, body)
	}
	if err := closeRows(rows); err != nil {
		return nil, fmt.Errorf("list endorsements: %w", err)
	}
	for i := range out {
		if out[i].Body, err = t.openText(ctx, id, "endorsers", endorserRow(id, tags[i]), "body", bodies[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}
