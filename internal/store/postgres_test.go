package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/seal"
	"github.com/dissent-channel/dissent/internal/store"
	"github.com/dissent-channel/dissent/internal/store/storetest"
)

var t0 = time.Date(2023, 11, 3, 14, 0, 0, 0, time.UTC)

func openPostgres(t *testing.T, server string) *store.DB {
	t.Helper()
	db, err := store.OpenPostgres(context.Background(), storetest.NewPostgresDatabase(t, server), seal.New(testKeys))
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// TestPostgresConformance runs the store suite on the PostgreSQL server named
// by DISSENT_TEST_POSTGRES, each test in a database of its own.
func TestPostgresConformance(t *testing.T) {
	server := storetest.PostgresServer(t)
	storetest.Run(t, func(t *testing.T) dissent.Store { return openPostgres(t, server) })
}

// TestPostgresDeadlockRetried: two transactions that lock two messages in
// opposite orders deadlock; PostgreSQL aborts one, and Update runs it again
// instead of failing it.
func TestPostgresDeadlockRetried(t *testing.T) {
	db := openPostgres(t, storetest.PostgresServer(t))
	ctx := context.Background()
	ids := seedTwoMessages(t, db)
	var runs atomic.Int32
	var both sync.WaitGroup
	both.Add(2)
	lockBoth := func(first, second dissent.MessageID) error {
		var once sync.Once
		return db.Update(ctx, func(tx dissent.Tx) error {
			runs.Add(1)
			if _, err := tx.LockMessage(ctx, first); err != nil {
				return err
			}
			// Only the first attempts wait for each other, so that both hold
			// their first lock before asking for the second.
			once.Do(func() { both.Done(); both.Wait() })
			m, err := tx.LockMessage(ctx, second)
			if err != nil {
				return err
			}
			m.SignatureCount++
			return tx.UpdateMessage(ctx, m)
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- lockBoth(ids[0], ids[1]) }()
	go func() { errs <- lockBoth(ids[1], ids[0]) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("Update in a deadlock: %v; want it retried and committed", err)
		}
	}
	if n := runs.Load(); n < 3 {
		t.Errorf("functions ran %d times; want at least 3 (one retried after the deadlock)", n)
	}
	err := db.View(ctx, func(tx dissent.Tx) error {
		for _, id := range ids {
			m, err := tx.Message(ctx, id)
			if err != nil {
				return err
			}
			if m.SignatureCount != 1 {
				t.Errorf("message %s: count %d; want 1 (each transaction once)", id, m.SignatureCount)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPostgresNotRetried: an error of the caller's own fails the Update at
// once, and its writes are gone.
func TestPostgresNotRetried(t *testing.T) {
	db := openPostgres(t, storetest.PostgresServer(t))
	ctx := context.Background()
	boom := errors.New("boom")
	runs := 0
	err := db.Update(ctx, func(tx dissent.Tx) error {
		runs++
		if err := tx.CreateOrg(ctx, dissent.Org{ID: "x", Name: "X", TimeZone: "UTC", Created: t0}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) || runs != 1 {
		t.Errorf("Update = %v after %d runs; want boom after 1", err, runs)
	}
	ctxDone, cancel := context.WithCancel(ctx)
	cancel()
	if err := db.Update(ctxDone, func(tx dissent.Tx) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("Update(cancelled ctx) = %v; want context.Canceled", err)
	}
}

func seedTwoMessages(t *testing.T, db *store.DB) []dissent.MessageID {
	t.Helper()
	ctx := context.Background()
	ids := []dissent.MessageID{"00000000000000000000000000000001", "00000000000000000000000000000002"}
	err := db.Update(ctx, func(tx dissent.Tx) error {
		if err := tx.CreateOrg(ctx, dissent.Org{ID: "state", Name: "State", TimeZone: "UTC", Created: t0}); err != nil {
			return err
		}
		p, err := tx.CreatePerson(ctx, dissent.Person{Email: "d@x.example", Name: "d", OrgID: "state", Roles: dissent.Roles{dissent.RoleEmployee}, Created: t0})
		if err != nil {
			return err
		}
		for _, id := range ids {
			h := dissent.ContentHash("t", "s", "b")
			m := dissent.Message{ID: id, OrgID: "state", DrafterID: p, State: dissent.StateDraft, Version: 1, ContentHash: h, Created: t0, Updated: t0}
			if err := tx.CreateMessage(ctx, m, dissent.Version{MessageID: id, Number: 1, Title: dissent.NewText("t"), ContentHash: h, AuthorID: p, Created: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return ids
}

// TestPostgresLockObservers: with observers set, a transaction that locks a
// message reports one hold of the message lock, one that takes the log's
// integration lock reports its hold and the log's size after it, and one
// that takes neither reports nothing; the transactions' work is unchanged.
func TestPostgresLockObservers(t *testing.T) {
	db := openPostgres(t, storetest.PostgresServer(t))
	ctx := context.Background()
	ids := seedTwoMessages(t, db)
	var mu sync.Mutex
	var msgHolds []time.Duration
	type integ struct {
		held time.Duration
		size int64
	}
	var integs []integ
	db.ObserveMessageLock(func(held time.Duration) { mu.Lock(); msgHolds = append(msgHolds, held); mu.Unlock() })
	db.ObserveIntegration(func(held time.Duration, size int64) {
		mu.Lock()
		integs = append(integs, integ{held, size})
		mu.Unlock()
	})
	if err := db.Update(ctx, func(tx dissent.Tx) error { _, err := tx.Orgs(ctx); return err }); err != nil {
		t.Fatal(err)
	}
	if len(msgHolds)+len(integs) != 0 {
		t.Fatalf("a transaction that locked nothing reported %d message locks and %d integrations", len(msgHolds), len(integs))
	}
	err := db.Update(ctx, func(tx dissent.Tx) error {
		m, err := tx.LockMessage(ctx, ids[0])
		if err != nil {
			return err
		}
		m.Updated = t0.Add(time.Hour)
		return tx.UpdateMessage(ctx, m)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgHolds) != 1 || msgHolds[0] <= 0 || len(integs) != 0 {
		t.Fatalf("after one transaction on a locked message: message locks %v, integrations %v; want one positive hold and none", msgHolds, integs)
	}
	// A co-signature locks the message with LockMessageCounts: observed too.
	err = db.Update(ctx, func(tx dissent.Tx) error {
		m, err := tx.LockMessageCounts(ctx, ids[0])
		if err != nil {
			return err
		}
		m.Updated = t0.Add(2 * time.Hour)
		return tx.UpdateMessageCounts(ctx, m)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgHolds) != 2 || msgHolds[1] <= 0 {
		t.Fatalf("after a transaction on a message locked for its counts: message locks %v; want a second positive hold", msgHolds)
	}
	msgHolds = msgHolds[:1]
	var size int64
	err = db.Update(ctx, func(tx dissent.Tx) error {
		lk, ok := tx.(interface {
			LockLogIntegration(context.Context) (bool, error)
		})
		if !ok {
			return errors.New("the transaction lost LockLogIntegration")
		}
		if got, err := lk.LockLogIntegration(ctx); err != nil || !got {
			return fmt.Errorf("LockLogIntegration = %v, %v", got, err)
		}
		var err error
		size, err = tx.IntegrateLog(ctx, 1<<20)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if size == 0 || len(integs) != 1 || integs[0].size != size || integs[0].held <= 0 || len(msgHolds) != 1 {
		t.Fatalf("after an integration to size %d: integrations %v, message locks %d; want one of size %d", size, integs, len(msgHolds), size)
	}
	err = db.View(ctx, func(tx dissent.Tx) error {
		m, err := tx.Message(ctx, ids[0])
		if err == nil && !m.Updated.Equal(t0.Add(2*time.Hour)) {
			err = fmt.Errorf("message updated %v; want %v (UpdateMessageCounts's)", m.Updated, t0.Add(2*time.Hour))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPostgresRowsNotReadBack: the triggers note a written row's values, so
// that the log digests it without a round trip to read it back; a row
// written twice in one transaction (the order of its changes is not kept)
// is read back. That the noted values digest as the row read back is
// checked on every write of the conformance suite (checkCapturedDigests).
func TestPostgresRowsNotReadBack(t *testing.T) {
	db := openPostgres(t, storetest.PostgresServer(t))
	ctx := context.Background()
	readBack := func(what string, want int64, fn func(tx dissent.Tx) error) {
		t.Helper()
		before := db.Stats().RowsReadBack
		if err := db.Update(ctx, fn); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := db.Stats().RowsReadBack - before; got != want {
			t.Errorf("%s: %d rows read back; want %d", what, got, want)
		}
	}
	var id dissent.PersonID
	readBack("insert an org and a person with a role", 0, func(tx dissent.Tx) error {
		if err := tx.CreateOrg(ctx, dissent.Org{ID: "state", Name: "State", TimeZone: "UTC", Created: t0}); err != nil {
			return err
		}
		var err error
		id, err = tx.CreatePerson(ctx, dissent.Person{Email: "a@x.example", Name: "A", OrgID: "state", Roles: dissent.Roles{dissent.RoleEmployee}, Created: t0})
		return err
	})
	readBack("update a person", 0, func(tx dissent.Tx) error { return tx.SetDeactivated(ctx, id, t0) })
	readBack("insert a person and update them in one transaction", 1, func(tx dissent.Tx) error {
		p, err := tx.CreatePerson(ctx, dissent.Person{Email: "b@x.example", Name: "B", OrgID: "state", Created: t0})
		if err != nil {
			return err
		}
		return tx.SetDeactivated(ctx, p, t0)
	})
}
