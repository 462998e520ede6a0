package dissent

import (
	"fmt"
	"strings"
	"testing"
)

// relations are the ways a person can stand to a message, as Facts.
var relations = map[string]Facts{
	"none":              {},
	"drafter":           {Drafter: true, Signer: true},
	"coauthor":          {Coauthor: true},
	"signer":            {Signer: true},
	"invitee":           {Invitee: true},
	"endorser":          {Endorser: true},
	"consulted":         {Consulted: true},
	"distributed":       {Distributed: true},
	"chain":             {InChain: true},
	"chain+consulted":   {InChain: true, Consulted: true},
	"chain+distributed": {InChain: true, Distributed: true},
}

var phases = map[string]bool{"draft": false, "submitted": true}

// policyWant lists every allowed cell as "role actions relations phases";
// every cell not listed must be denied. Lists are comma-separated; "*" means
// every phase. This table is written out by hand from SPEC §1, so that a
// change to Decide that flips any one cell fails the test.
var policyWant = []string{
	// Employees act on messages they take part in, in every phase.
	"employee see,read_text drafter,coauthor,signer,invitee,endorser *",
	"employee read_names,read_access_log,receipt drafter,coauthor,signer *",
	"employee edit,invite,ask_endorsement drafter,coauthor *",
	"employee add_coauthor,submit,withdraw drafter *",
	"employee sign drafter,coauthor,invitee *",
	"employee unsign signer *",
	"employee endorse endorser *",
	// Authors see the exposure findings on their own messages.
	"employee see_exposure drafter,coauthor *",
	// The channel office sees only submitted messages, and is recused from
	// messages it takes part in or whose signers it supervises.
	"officer see,read_text,read_names,acknowledge,assign,consult,reply,redirect,distribute,record_meeting,close,see_exposure none,consulted,distributed submitted",
	"director see,read_text,read_names,acknowledge,assign,consult,reply,redirect,distribute,record_meeting,close,approve_reply,extend,reopen,see_exposure none,consulted,distributed submitted",
	// Press articles and feeds concern no message: the channel office adds
	// them whatever its relation to any one message. The administrator
	// manages no feed.
	"officer add_article,manage_feeds " + allRelations + " *",
	"director add_article,manage_feeds " + allRelations + " *",
	// Principals read what is distributed to them, even from within a
	// signer's chain (the names they supervise are withheld elsewhere).
	"principal see,read_text,read_names,request_meeting distributed,chain+distributed submitted",
	// Reviewers read the text, never names, of what they are consulted on.
	"reviewer see,read_text,give_input consulted submitted",
	// The monitor sees metadata of every submitted message.
	"monitor see none,drafter,coauthor,signer,invitee,endorser,consulted,distributed,chain,chain+consulted,chain+distributed submitted",
	"auditor see,break_glass none,consulted,distributed submitted",
	// The administrator: no message at all.
}

const allRelations = "none,drafter,coauthor,signer,invitee,endorser,consulted,distributed,chain,chain+consulted,chain+distributed"

func TestDecideTable(t *testing.T) {
	t.Parallel()
	allowed := map[string]bool{}
	actionByName := map[string]Action{}
	for _, a := range AllActions() {
		actionByName[a.String()] = a
	}
	for _, line := range policyWant {
		f := strings.Fields(line)
		if len(f) != 4 {
			t.Fatalf("bad policyWant line %q", line)
		}
		for _, a := range strings.Split(f[1], ",") {
			if _, ok := actionByName[a]; !ok {
				t.Fatalf("policyWant line %q: unknown action %q", line, a)
			}
			for _, rel := range strings.Split(f[2], ",") {
				if _, ok := relations[rel]; !ok {
					t.Fatalf("policyWant line %q: unknown relation %q", line, rel)
				}
				for ph := range phases {
					if f[3] == "*" || f[3] == ph {
						allowed[f[0]+" "+a+" "+rel+" "+ph] = true
					}
				}
			}
		}
	}
	cells := 0
	for _, role := range AllRoles {
		for _, a := range AllActions() {
			for rel, facts := range relations {
				for ph, submitted := range phases {
					facts.Submitted = submitted
					key := fmt.Sprintf("%s %s %s %s", role, a, rel, ph)
					cells++
					if got, want := Decide(Roles{role}, a, facts), allowed[key]; got != want {
						t.Errorf("Decide(%s) = %v; want %v", key, got, want)
					}
				}
			}
		}
	}
	if want := len(AllRoles) * int(numActions) * len(relations) * len(phases); cells != want {
		t.Fatalf("checked %d cells; want %d", cells, want)
	}
}

// TestDecideSeveralRoles checks that roles combine as a union, and that
// recusal holds whatever other role a person holds.
func TestDecideSeveralRoles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		roles  Roles
		action Action
		facts  Facts
		want   bool
	}{
		{"officer who drafted may submit as an employee", Roles{RoleEmployee, RoleOfficer}, ActSubmit, Facts{Drafter: true}, true},
		{"officer who drafted may not acknowledge own message", Roles{RoleEmployee, RoleOfficer}, ActAcknowledge, Facts{Drafter: true, Submitted: true}, false},
		{"director who signed may not extend", Roles{RoleEmployee, RoleDirector}, ActExtend, Facts{Signer: true, Submitted: true}, false},
		{"supervisor-officer of a signer is recused", Roles{RoleEmployee, RoleOfficer}, ActReadText, Facts{InChain: true, Submitted: true}, false},
		{"supervisor-officer of a signer cannot even see it", Roles{RoleOfficer}, ActSee, Facts{InChain: true, Submitted: true}, false},
		{"admin who is also invited still reads nothing without the employee role", Roles{RoleAdmin}, ActReadText, Facts{Invitee: true}, false},
		{"admin with employee role reads as an invitee", Roles{RoleEmployee, RoleAdmin}, ActReadText, Facts{Invitee: true}, true},
		{"monitor-principal reads distributed text as principal", Roles{RoleMonitor, RolePrincipal}, ActReadText, Facts{Distributed: true, Submitted: true}, true},
		{"monitor alone never reads text", Roles{RoleMonitor}, ActReadText, Facts{Submitted: true}, false},
		{"no roles, no access", nil, ActSee, Facts{Drafter: true}, false},
		{"unknown role denied", Roles{"superuser"}, ActSee, Facts{Submitted: true}, false},
		{"unknown action denied", Roles{RoleDirector}, Action(999), Facts{Submitted: true}, false},
	}
	for _, tt := range tests {
		if got := Decide(tt.roles, tt.action, tt.facts); got != tt.want {
			t.Errorf("%s: Decide(%v, %v, %+v) = %v; want %v", tt.name, tt.roles, tt.action, tt.facts, got, tt.want)
		}
	}
}
