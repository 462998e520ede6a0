package auditlog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/auditlog"
	"github.com/dissent-channel/dissent/internal/deadline"
	"github.com/dissent-channel/dissent/internal/seal"
	"github.com/dissent-channel/dissent/internal/servicetest"
	"github.com/dissent-channel/dissent/internal/store"
	"github.com/dissent-channel/dissent/internal/store/storetest"
)

// TestInstancesShareTheLog runs three instances on one PostgreSQL database,
// as `serve` behind a load balancer: 60 co-signatures arrive through all
// three at once while each instance's integrator runs in a loop (no request
// takes a lock over the log; one integrator at a time gives leaf indexes).
// Afterwards every entry is integrated exactly once, the log verifies from
// any instance, and a checkpoint published by one is one the others' tree
// extends.
func TestInstancesShareTheLog(t *testing.T) {
	url := storetest.Postgres(t)
	ctx := context.Background()
	ring := seal.Generate("dissent.test/log")
	clock := &servicetest.Clock{}
	clock.Set(servicetest.SeedTime)
	type inst struct {
		db  *store.DB
		svc *dissent.Service
		log *auditlog.Log
	}
	var insts []inst
	for i := range 3 {
		db, err := store.OpenPostgres(ctx, url, seal.New(ring))
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
		t.Cleanup(func() { db.Close() })
		name, key := ring.LogKey()
		l, err := auditlog.New(db, name, key, filepath.Join(t.TempDir(), "log"), clock.Now)
		if err != nil {
			t.Fatal(err)
		}
		svc := dissent.NewService(dissent.ServiceConfig{Store: db, AuditLog: l, Now: clock.Now,
			Calendars: func(loc *time.Location, closures []string) (dissent.Calendar, error) {
				return deadline.New(loc, closures)
			}})
		insts = append(insts, inst{db, svc, l})
	}
	svc := insts[0].svc
	if _, err := svc.AddOrg(ctx, dissent.System, dissent.OrgInput{ID: "state", Name: "Department of State"}); err != nil {
		t.Fatal(err)
	}
	people := []dissent.PersonInput{{Email: "drafter@state.example", Name: "D", OrgID: "state", Roles: []dissent.Role{dissent.RoleEmployee}}}
	var emails []string
	for i := range 60 {
		e := fmt.Sprintf("s%02d@state.example", i)
		emails = append(emails, e)
		people = append(people, dissent.PersonInput{Email: e, Name: "S", OrgID: "state", Roles: []dissent.Role{dissent.RoleEmployee}})
	}
	added, err := svc.AddPeople(ctx, dissent.System, people)
	if err != nil {
		t.Fatal(err)
	}
	actor := map[string]dissent.Actor{}
	for _, p := range added {
		actor[p.Email] = dissent.Actor{Person: p.Person}
	}
	d := actor["drafter@state.example"]
	m, err := svc.CreateMessage(ctx, d, dissent.Draft{Title: "T", Summary: "S", Body: "B"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Invite(ctx, d, m.ID, emails); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var integrators sync.WaitGroup
	for _, in := range insts {
		integrators.Add(1)
		go func() {
			defer integrators.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := in.log.Integrate(ctx); err != nil {
					t.Errorf("Integrate: %v", err)
					return
				}
			}
		}()
	}
	var signers sync.WaitGroup
	for i, e := range emails {
		signers.Add(1)
		go func() {
			defer signers.Done()
			if _, err := insts[i%3].svc.Sign(ctx, actor[e], m.ID, m.ContentHash, 0); err != nil {
				t.Errorf("Sign(%s): %v", e, err)
			}
		}()
	}
	signers.Wait()
	close(stop)
	integrators.Wait()
	if _, err := insts[1].log.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	cp, err := insts[1].log.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range insts {
		// Each serve publishes on its own interval; the newest checkpoint
		// is then in each instance's checkpoint file too.
		if again, err := in.log.Publish(ctx); err != nil || string(again) != string(cp) {
			t.Fatalf("instance %d: Publish = %v; want the same checkpoint", i, err)
		}
		rep, err := in.log.Verify(ctx, nil, cp)
		if err != nil {
			t.Fatalf("Verify from instance %d: %v", i, err)
		}
		if rep.Pending != 0 || rep.Leaves < int64(60+len(people)) {
			t.Errorf("instance %d: %d entries, %d pending; want every entry integrated", i, rep.Leaves, rep.Pending)
		}
	}
	got, err := insts[2].svc.GetMessage(ctx, d, m.ID)
	if err != nil || got.SignatureCount != 61 {
		t.Errorf("signature count = %d, %v; want 61", got.SignatureCount, err)
	}
	// Receipts from another instance than the one that took the signature.
	if _, err := insts[0].svc.Submit(ctx, d, m.ID, m.ContentHash); err != nil {
		t.Fatal(err)
	}
	r, err := insts[2].svc.Receipt(ctx, actor[emails[7]], m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auditlog.VerifyReceipt(must(json.Marshal(r)), insts[0].log.VerifierKey()); err != nil {
		t.Errorf("receipt: %v", err)
	}
}
