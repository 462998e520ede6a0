package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/google/go-cmp/cmp"
)

// testExposure covers the exposure monitor's tables: articles stored once
// by hash, findings once per (article, message), scans, and feeds claimed
// by exactly one of several concurrent pollers.
func testExposure(t *testing.T, s dissent.Store) {
	ctx := context.Background()
	f := seed(t, s)
	m := newMessage(t, s, f.drafter, mid(1))
	newMessage(t, s, f.drafter, mid(2)) // a draft: never scanned

	a := dissent.Article{Hash: dissent.ArticleHash("The cable says so."), Title: "Leak", URL: "https://example.org/a",
		Body: "The cable says so.", Source: dissent.SourceUpload, AddedBy: f.drafter, Added: t0}
	var id1 int64
	update(t, s, func(tx dissent.Tx) error {
		var created bool
		var err error
		if id1, created, err = tx.InsertArticle(ctx, a); err != nil || !created || id1 == 0 {
			t.Errorf("InsertArticle = %d, %v, %v; want a new id", id1, created, err)
		}
		again := a
		again.Title = "Other title"
		id, created, err := tx.InsertArticle(ctx, again)
		if err != nil || created || id != id1 {
			t.Errorf("InsertArticle(same hash) = %d, %v, %v; want %d, false, nil", id, created, err, id1)
		}
		b := a
		b.Hash, b.Body, b.Source, b.AddedBy, b.FeedID = dissent.ArticleHash("Another."), "Another.", dissent.SourceFeed, 0, 7
		_, created, err = tx.InsertArticle(ctx, b)
		if err != nil || !created {
			t.Errorf("InsertArticle(other) = %v, %v", created, err)
		}
		return nil
	})
	view(t, s, func(tx dissent.Tx) error {
		got, err := tx.Article(ctx, id1)
		want := a
		want.ID = id1
		if err != nil || !cmp.Equal(got, want) {
			t.Errorf("Article = %+v, %v; want %+v", got, err, want)
		}
		all, err := tx.Articles(ctx, 0, 10)
		if err != nil || len(all) != 2 || all[0].ID != id1 || all[1].FeedID != 7 || all[1].AddedBy != 0 {
			t.Errorf("Articles(0, 10) = %+v, %v", all, err)
		}
		rest, err := tx.Articles(ctx, id1, 10)
		if err != nil || len(rest) != 1 || rest[0].ID == id1 {
			t.Errorf("Articles(after first) = %+v, %v", rest, err)
		}
		if _, err := tx.Article(ctx, 999); kindOf(err) != dissent.KindNotFound {
			t.Errorf("Article(999) error = %v; want NotFound", err)
		}
		return nil
	})

	// Findings.
	fd := dissent.Finding{ArticleID: id1, MessageID: m.ID, Score: 0.75, Found: t0,
		Passages: []dissent.Passage{{ArticleStart: 0, ArticleEnd: 9, MessageStart: 3, MessageEnd: 12, Kind: "verbatim"}}}
	var fid int64
	update(t, s, func(tx dissent.Tx) error {
		var created bool
		var err error
		if fid, created, err = tx.InsertFinding(ctx, fd); err != nil || !created {
			t.Errorf("InsertFinding = %v, %v", created, err)
		}
		id, created, err := tx.InsertFinding(ctx, fd)
		if err != nil || created || id != fid {
			t.Errorf("InsertFinding(again) = %d, %v, %v; want %d, false", id, created, err, fid)
		}
		return nil
	})
	view(t, s, func(tx dissent.Tx) error {
		got, err := tx.Finding(ctx, fid)
		want := fd
		want.ID = fid
		if err != nil || !cmp.Equal(got, want) {
			t.Errorf("Finding = %+v, %v; want %+v", got, err, want)
		}
		all, err := tx.Findings(ctx)
		if err != nil || len(all) != 1 || all[0].ID != fid {
			t.Errorf("Findings = %+v, %v", all, err)
		}
		if _, err := tx.Finding(ctx, fid+100); kindOf(err) != dissent.KindNotFound {
			t.Errorf("Finding(missing) error = %v; want NotFound", err)
		}
		return nil
	})

	// Scans: only submitted messages, until marked.
	view(t, s, func(tx dissent.Tx) error {
		ids, err := tx.UnscannedMessages(ctx)
		if err != nil || len(ids) != 0 {
			t.Errorf("UnscannedMessages with no submission = %v, %v", ids, err)
		}
		return nil
	})
	update(t, s, func(tx dissent.Tx) error {
		got, err := tx.LockMessage(ctx, m.ID)
		if err != nil {
			return err
		}
		got.State, got.SubmittedAt = dissent.StateSubmitted, t0
		return tx.UpdateMessage(ctx, got)
	})
	view(t, s, func(tx dissent.Tx) error {
		ids, err := tx.UnscannedMessages(ctx)
		if err != nil || len(ids) != 1 || ids[0] != m.ID {
			t.Errorf("UnscannedMessages = %v, %v; want [%s]", ids, err, m.ID)
		}
		if n, err := tx.CountSubmitted(ctx); err != nil || n != 1 {
			t.Errorf("CountSubmitted = %d, %v; want 1", n, err)
		}
		return nil
	})
	update(t, s, func(tx dissent.Tx) error {
		if err := tx.MarkScanned(ctx, m.ID, t0); err != nil {
			return err
		}
		return tx.MarkScanned(ctx, m.ID, t0.Add(time.Hour)) // twice is fine
	})
	view(t, s, func(tx dissent.Tx) error {
		if ids, err := tx.UnscannedMessages(ctx); err != nil || len(ids) != 0 {
			t.Errorf("UnscannedMessages after MarkScanned = %v, %v", ids, err)
		}
		return nil
	})

	// Feeds.
	var feedID int64
	update(t, s, func(tx dissent.Tx) error {
		var err error
		if feedID, err = tx.AddFeed(ctx, dissent.Feed{URL: "http://127.0.0.1:1/feed", AddedBy: f.drafter, Added: t0}); err != nil {
			return err
		}
		if _, err := tx.AddFeed(ctx, dissent.Feed{URL: "http://127.0.0.1:1/feed", Added: t0}); !errors.Is(err, dissent.ErrDuplicate) {
			t.Errorf("AddFeed(same url) error = %v; want ErrDuplicate", err)
		}
		return nil
	})
	// Eight pollers claim the feed at once: exactly one wins.
	now := t0.Add(time.Hour)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Go(func() {
			var ok bool
			err := s.Update(ctx, func(tx dissent.Tx) error {
				var err error
				ok, err = tx.ClaimFeed(ctx, feedID, now, now.Add(-time.Minute))
				return err
			})
			if err != nil {
				t.Errorf("ClaimFeed: %v", err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d of 8 concurrent ClaimFeed calls won; want 1", wins)
	}
	update(t, s, func(tx dissent.Tx) error {
		if ok, err := tx.ClaimFeed(ctx, feedID, now.Add(30*time.Second), now.Add(-30*time.Second)); err != nil || ok {
			t.Errorf("ClaimFeed before the interval = %v, %v; want false", ok, err)
		}
		if ok, err := tx.ClaimFeed(ctx, feedID, now.Add(2*time.Minute), now.Add(time.Minute)); err != nil || !ok {
			t.Errorf("ClaimFeed after the interval = %v, %v; want true", ok, err)
		}
		return tx.SetFeedError(ctx, feedID, "fetch: 404")
	})
	view(t, s, func(tx dissent.Tx) error {
		feeds, err := tx.Feeds(ctx)
		if err != nil || len(feeds) != 1 || feeds[0].URL != "http://127.0.0.1:1/feed" || feeds[0].LastError != "fetch: 404" ||
			!feeds[0].PolledAt.Equal(now.Add(2*time.Minute)) || feeds[0].AddedBy != f.drafter {
			t.Errorf("Feeds = %+v, %v", feeds, err)
		}
		return nil
	})
}
