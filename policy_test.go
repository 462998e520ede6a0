package dissent

import (
	"fmt"
	"slices"
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
	// The actor is the deployment itself (the command line): only the
	// deployment-level actions read it, so for the acts on messages it is
	// "none".
	"system": {System: true},
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
	"employee edit,invite,ask_endorsement,read_invitations drafter,coauthor *",
	"employee add_coauthor,submit,withdraw drafter *",
	"employee sign drafter,coauthor,invitee *",
	"employee unsign signer *",
	"employee endorse endorser *",
	// Authors see the exposure findings on their own messages.
	"employee see_exposure drafter,coauthor *",
	// The channel office sees only submitted messages, and is recused from
	// messages it takes part in or whose signers it supervises.
	"officer see,read_text,read_names,acknowledge,assign,consult,reply,redirect,distribute,record_meeting,close,see_exposure none,system,consulted,distributed submitted",
	// The director's reply goes out without approval (send_reply).
	"director see,read_text,read_names,acknowledge,assign,consult,reply,redirect,distribute,record_meeting,close,approve_reply,extend,reopen,see_exposure,send_reply none,system,consulted,distributed submitted",
	// Press articles and feeds concern no message: the channel office adds
	// them whatever its relation to any one message. The administrator
	// manages no feed.
	"officer add_article,manage_feeds " + allRelations + " *",
	"director add_article,manage_feeds " + allRelations + " *",
	// The vocabulary (markings, topics, tiers) is the administrator's.
	"admin manage_vocabulary " + allRelations + " *",
	// The office keeps each tier's default distribution list.
	"officer manage_tiers " + allRelations + " *",
	"director manage_tiers " + allRelations + " *",
	// Principals read what is distributed to them, even from within a
	// signer's chain (the names they supervise are withheld elsewhere).
	"principal see,read_text,read_names,request_meeting distributed,chain+distributed submitted",
	// Reviewers read the text, never names, of what they are consulted on.
	"reviewer see,read_text,give_input consulted submitted",
	// The monitor sees metadata of every submitted message.
	"monitor see " + allRelations + " submitted",
	"auditor see,break_glass none,system,consulted,distributed submitted",
	// The administrator: no message at all.

	// The deployment-level actions concern no message: whatever the
	// relation and the phase, only the role (and, for some, being the
	// deployment itself) decides.
	// The administrator manages the directory and others' credentials.
	"admin manage_directory,manage_people,manage_credentials " + allRelations + " *",
	// Only the deployment itself issues tokens for others, signs people
	// in without a credential, rotates the keys; it also makes the
	// public report.
	"admin issue_token,sign_in_as,rotate_keys,make_report system *",
	// The office's lists and figures; the monitor's figures; each role
	// that may see submitted messages it takes no part in lists them.
	"officer read_inbox,read_statistics,make_report,list_submitted " + allRelations + " *",
	"director read_inbox,read_statistics,make_report,list_submitted " + allRelations + " *",
	"monitor read_statistics,make_report,list_submitted " + allRelations + " *",
	"auditor read_audit_overview,list_submitted " + allRelations + " *",
	"principal list_distributed " + allRelations + " *",
	"reviewer list_consultations " + allRelations + " *",
	// Employees draft, and join a message through its invitation link.
	"employee create_message,join_by_link " + allRelations + " *",
}

const allRelations = "none,drafter,coauthor,signer,invitee,endorser,consulted,distributed,chain,chain+consulted,chain+distributed,system"

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

// TestDecideDeniesByDefault: an action the policy does not know is denied
// to every role, and a person with no role (the zero Actor among them) may
// do nothing, whatever the facts.
func TestDecideDeniesByDefault(t *testing.T) {
	t.Parallel()
	unknown := []Action{-1, numActions, numActions + 1, 999}
	for _, role := range append(slices.Clone(AllRoles), "superuser", "") {
		for _, a := range unknown {
			for rel, f := range relations {
				for _, submitted := range phases {
					f.Submitted = submitted
					if Decide(Roles{role}, a, f) {
						t.Errorf("Decide(%s, unknown action %d, %s) = true", role, a, rel)
					}
				}
			}
		}
	}
	for _, a := range append(AllActions(), unknown...) {
		for rel, f := range relations {
			for _, submitted := range phases {
				f.Submitted = submitted
				if Decide(nil, a, f) || Decide(Roles{}, a, f) {
					t.Errorf("Decide(no roles, %s, %s) = true", a, rel)
				}
			}
		}
		if May(Actor{}, a) {
			t.Errorf("May(the zero Actor, %s) = true", a)
		}
		if err := permit(Actor{}, a); ErrorKind(err) != KindForbidden {
			t.Errorf("permit(the zero Actor, %s) = %v; want Forbidden", a, err)
		}
	}
}

// TestPermit: the decisions about no message for actors (May, permit), the
// deployment itself told apart from an administrator by its id; and the
// one refusal kind, Forbidden, whatever the action.
func TestPermit(t *testing.T) {
	t.Parallel()
	admin := Actor{Person: Person{ID: 7, Roles: Roles{RoleAdmin}}}
	office := Actor{Person: Person{ID: 8, Roles: Roles{RoleEmployee, RoleOfficer}}}
	monitor := Actor{Person: Person{ID: 9, Roles: Roles{RoleMonitor}}}
	tests := []struct {
		name   string
		actor  Actor
		action Action
		want   bool
		code   string // the refusal's code when refused
	}{
		{"the deployment issues a token", System, ActIssueToken, true, ""},
		{"an administrator does not", admin, ActIssueToken, false, "token_for_other"},
		{"nor an officer", office, ActIssueToken, false, "token_for_other"},
		{"the deployment rotates the keys", System, ActRotateKeys, true, ""},
		{"an administrator does not rotate them", admin, ActRotateKeys, false, "forbidden"},
		{"an administrator does not sign in as another", admin, ActSignInAs, false, "forbidden"},
		{"the deployment manages people", System, ActManagePeople, true, ""},
		{"an administrator manages people", admin, ActManagePeople, true, ""},
		{"an officer does not", office, ActManagePeople, false, "forbidden"},
		{"the deployment makes the report", System, ActMakeReport, true, ""},
		{"an administrator does not", admin, ActMakeReport, false, "forbidden"},
		{"the monitor makes the report", monitor, ActMakeReport, true, ""},
		{"the monitor reads no inbox", monitor, ActReadInbox, false, "forbidden"},
		{"an officer-employee drafts as an employee", office, ActCreateMessage, true, ""},
		{"an administrator drafts nothing", admin, ActCreateMessage, false, "forbidden"},
		{"an administrator joins nothing", admin, ActJoinByLink, false, "not_eligible"},
		{"the deployment reads no inbox", System, ActReadInbox, false, "forbidden"},
		{"an id of 0 without the role is nobody", Actor{Person: Person{ID: 0, Roles: Roles{RoleMonitor}}}, ActIssueToken, false, "token_for_other"},
	}
	for _, tt := range tests {
		if got := May(tt.actor, tt.action); got != tt.want {
			t.Errorf("%s: May(%v, %s) = %v; want %v", tt.name, tt.actor.Roles, tt.action, got, tt.want)
		}
		err := permit(tt.actor, tt.action)
		if tt.want {
			if err != nil {
				t.Errorf("%s: permit = %v; want nil", tt.name, err)
			}
			continue
		}
		if e := AsError(err); e.Kind != KindForbidden || e.Code != tt.code || e.Message == "" {
			t.Errorf("%s: permit = %s %q %q; want forbidden %q", tt.name, e.Kind, e.Code, e.Message, tt.code)
		}
	}
}

// TestNavigation: the menus follow the decisions, the landing-page roles
// included.
func TestNavigation(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		roles Roles
		want  Menus
	}{
		{nil, Menus{}},
		{Roles{RoleEmployee}, Menus{Messages: true, Exposure: true}},
		{Roles{RoleOfficer}, Menus{Office: true, Exposure: true}},
		{Roles{RoleDirector, RoleEmployee}, Menus{Messages: true, Office: true, Exposure: true}},
		{Roles{RolePrincipal}, Menus{Distributed: true}},
		{Roles{RoleReviewer}, Menus{Consultations: true}},
		{Roles{RoleMonitor}, Menus{Timeliness: true}},
		{Roles{RoleAuditor}, Menus{Audit: true}},
		{Roles{RoleAdmin}, Menus{Admin: true}},
	} {
		if got := Navigation(Actor{Person: Person{ID: 3, Roles: tt.roles}}); got != tt.want {
			t.Errorf("Navigation(%v) = %+v; want %+v", tt.roles, got, tt.want)
		}
	}
}

// TestOnMessage: the actions about no message are exactly those whose
// decision ignores every relation to a message.
func TestOnMessage(t *testing.T) {
	t.Parallel()
	for _, a := range AllActions() {
		ignores := true
		for _, role := range AllRoles {
			for _, sys := range []bool{false, true} {
				base := Decide(Roles{role}, a, Facts{System: sys})
				for _, f := range relations {
					for _, submitted := range phases {
						f.Submitted, f.System = submitted, sys
						if Decide(Roles{role}, a, f) != base {
							ignores = false
						}
					}
				}
			}
		}
		if a.onMessage() == ignores {
			t.Errorf("%s: onMessage = %v, but its decision ignores the message: %v", a, a.onMessage(), ignores)
		}
	}
}
