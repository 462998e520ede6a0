package storetest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/dissent-channel/dissent"
)

// testConcurrentVersions: callers that lock a message and add a version to it
// at once each see the version their predecessor committed. (On PostgreSQL a
// caller that waited for the row lock must not find the message gone because
// its version row changed meanwhile.)
func testConcurrentVersions(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	m := newMessage(t, s, f.drafter, mid(1))
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := s.Update(ctx, func(tx dissent.Tx) error {
					got, err := tx.LockMessage(ctx, m.ID)
					if err != nil {
						return fmt.Errorf("LockMessage: %w", err)
					}
					got.Version++
					text := dissent.NewText(fmt.Sprintf("version %d by worker %d", got.Version, w))
					got.ContentHash = dissent.ContentHash(text.Reveal(), "", "")
					if err := tx.AddVersion(ctx, dissent.Version{MessageID: m.ID, Number: got.Version, Title: text, ContentHash: got.ContentHash, AuthorID: f.drafter, Created: t0}); err != nil {
						return err
					}
					return tx.UpdateMessage(ctx, got)
				})
				if err != nil {
					errs <- fmt.Errorf("worker %d step %d: %w", w, i, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	view(t, s, func(tx dissent.Tx) error {
		got, err := tx.Message(ctx, m.ID)
		if err != nil {
			return err
		}
		want := 1 + workers*each
		if got.Version != want || !strings.HasPrefix(got.Title.Reveal(), fmt.Sprintf("version %d by ", want)) {
			t.Errorf("after %d concurrent new versions: version %d titled %q; want version %d", workers*each, got.Version, got.Title.Reveal(), want)
		}
		vs, err := tx.Versions(ctx, m.ID)
		if err != nil {
			return err
		}
		if len(vs) != want {
			t.Errorf("Versions: %d; want %d", len(vs), want)
		}
		return nil
	})
}

// testConcurrentOrgs: organizations created at once all get a place in the
// creation order (the first runs the channel office).
func testConcurrentOrgs(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	const n = 12
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- s.Update(ctx, func(tx dissent.Tx) error {
				return tx.CreateOrg(ctx, dissent.Org{ID: fmt.Sprintf("org%02d", i), Name: "Org", TimeZone: "UTC", Created: t0})
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("CreateOrg at once: %v", err)
		}
	}
	view(t, s, func(tx dissent.Tx) error {
		orgs, err := tx.Orgs(ctx)
		if err != nil {
			return err
		}
		if len(orgs) != n {
			t.Errorf("Orgs() lists %d; want %d", len(orgs), n)
		}
		return nil
	})
}
