package dissent_test

import (
	"slices"
	"testing"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/servicetest"
)

// TestRotateKeys: after the keyring makes a new key active, RotateKeys
// rewraps every data key under it, names the old key as unused (so the
// command line may retire it), and records the rotation; the messages still
// open once the old key is gone. Anyone but System is refused.
func TestRotateKeys(t *testing.T) {
	e := servicetest.New(t)
	p, _ := e.Cast(t, 0)
	drafter := p["drafter@state.example"]
	var ids []dissent.MessageID
	for range 3 {
		ids = append(ids, draft(t, e, drafter).ID)
	}

	for _, who := range []string{"admin@state.example", "drafter@state.example"} {
		_, err := e.Svc.RotateKeys(ctx, p[who].Actor, "x", nil)
		wantKind(t, who+" RotateKeys", err, dissent.KindForbidden)
	}

	old := e.Ring.KEKs()
	active, err := e.Ring.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.Svc.RotateKeys(ctx, dissent.System, active, old)
	if err != nil {
		t.Fatalf("RotateKeys: %v", err)
	}
	if r.Rewrapped != len(ids) || !slices.Equal(r.Unused, old) {
		t.Errorf("RotateKeys = %+v; want %d rewrapped and %v unused", r, len(ids), old)
	}
	for _, k := range r.Unused {
		if err := e.Ring.Retire(k); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		v, err := e.Svc.GetMessage(ctx, drafter.Actor, id)
		if err != nil || v.Body.Reveal() != "We recommend a ceasefire." {
			t.Errorf("GetMessage(%s) after rotation = %q, %v", id, v.Body.Reveal(), err)
		}
	}
	evs := events(t, e, "", "keys.rotated")
	if len(evs) != 1 || evs[0].Detail != "active "+active || evs[0].ActorRole != dissent.RoleAdmin {
		t.Errorf("keys.rotated events = %+v; want one naming %s", evs, active)
	}

	// A second run finds nothing to rewrap and no old key left.
	if r, err := e.Svc.RotateKeys(ctx, dissent.System, active, e.Ring.KEKs()); err != nil || r.Rewrapped != 0 || len(r.Unused) != 0 {
		t.Errorf("second RotateKeys = %+v, %v; want nothing to do", r, err)
	}
}
