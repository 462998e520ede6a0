package main

// The demo deployment of `dissent serve --demo` (SPEC §7).
//
// The seed lives here, in the command, rather than in the root package: it
// is wiring and invented data that only the CLI uses, it needs the
// working-day calendar (internal/deadline) and a settable clock, and keeping
// it out of package dissent keeps the domain free of sample content. It
// seeds only through the Service, as a user would, so every event is in the
// audit log and every message is encrypted like real ones.
//
// The clock: seeding runs on a demoClock that the seed moves back in time
// (up to about 75 days) and forward step by step, so that each message's
// history — submission, acknowledgement, consultation, reply — lies in the
// past at sensible working-day distances, and its deadlines fall before or
// after today as its state suggests. Once seeded, the clock is real time
// again (offset zero), so no DISSENT_NOW warning is needed.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/dissent-channel/dissent"
	"github.com/dissent-channel/dissent/internal/config"
)

// demoClock is real time plus an offset the seed sets.
type demoClock struct {
	mu     sync.Mutex
	offset time.Duration
	real   func() time.Time
}

func newDemoClock() *demoClock { return &demoClock{real: time.Now} }

func (c *demoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.real().Add(c.offset)
}

// Set makes the clock read t now and run forward from it.
func (c *demoClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = t.Sub(c.real())
}

// Reset returns the clock to real time.
func (c *demoClock) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = 0
}

// demoPerson is one of the invented cast.
type demoPerson struct {
	email, name, org, unit, supervisor string
	roles                              []dissent.Role
}

var (
	rE, rO, rD, rP  = dissent.RoleEmployee, dissent.RoleOfficer, dissent.RoleDirector, dissent.RolePrincipal
	rR, rM, rA, rAd = dissent.RoleReviewer, dissent.RoleMonitor, dissent.RoleAuditor, dissent.RoleAdmin
)

// demoCast has at least one person in every role, management chains at
// both organizations, and nobody of the office in a signer's chain.
var demoCast = []demoPerson{
	{"admin@state.example", "Alex Morgan", "state", "gtm", "", []dissent.Role{rAd}},
	{"director@state.example", "Dana Whitfield", "state", "spp", "", []dissent.Role{rD, rE}},
	{"officer@state.example", "Omar Haddad", "state", "spp", "director@state.example", []dissent.Role{rO, rE}},
	{"officer2@state.example", "Olivia Brandt", "state", "spp", "director@state.example", []dissent.Role{rO, rE}},
	{"principal@state.example", "Patricia Nakamura", "state", "s", "", []dissent.Role{rP}},
	{"deputy@state.example", "Peter Lindqvist", "state", "s", "", []dissent.Role{rP}},
	{"reviewer@state.example", "Rosa Delgado", "state", "af", "", []dissent.Role{rR, rE}},
	{"monitor@state.example", "Miriam Okafor", "state", "s", "", []dissent.Role{rM}},
	{"auditor@state.example", "Avery Stone", "state", "oig", "", []dissent.Role{rA}},
	{"ambassador@state.example", "Amelia Ward", "state", "paris", "", []dissent.Role{rE}},
	{"polchief@state.example", "Paul Sorensen", "state", "paris", "ambassador@state.example", []dissent.Role{rE}},
	{"emma@state.example", "Emma Castillo", "state", "paris", "polchief@state.example", []dissent.Role{rE}},
	{"chen@state.example", "Chen Wei", "state", "paris", "polchief@state.example", []dissent.Role{rE}},
	{"fatima@state.example", "Fatima Rahimi", "state", "eur", "", []dissent.Role{rE}},
	{"gabriel@state.example", "Gabriel Mensah", "state", "af", "", []dissent.Role{rE}},
	{"hana@state.example", "Hana Kowalski", "state", "eur", "fatima@state.example", []dissent.Role{rE}},
	{"kofi@usaid.example", "Kofi Asante", "usaid", "kenya", "", []dissent.Role{rE}},
	{"julia@usaid.example", "Julia Ferreira", "usaid", "kenya", "kofi@usaid.example", []dissent.Role{rE}},
	{"ibrahim@usaid.example", "Ibrahim Diallo", "usaid", "kenya", "kofi@usaid.example", []dissent.Role{rE}},
	{"lena@usaid.example", "Lena Vogel", "usaid", "bha", "", []dissent.Role{rE}},
	{"usaid-admin@usaid.example", "Sam Okoye", "usaid", "usaid-hq", "", []dissent.Role{rAd}},
}

type demoUnit struct{ org, id, name, parent string }

var demoUnits = []demoUnit{
	{"state", "s", "Office of the Secretary", ""},
	{"state", "spp", "Policy Planning Staff", "s"},
	{"state", "oig", "Office of Inspector General", ""},
	{"state", "gtm", "Bureau of Global Talent Management", ""},
	{"state", "eur", "Bureau of European and Eurasian Affairs", ""},
	{"state", "paris", "Embassy Paris", "eur"},
	{"state", "af", "Bureau of African Affairs", ""},
	{"usaid", "usaid-hq", "Office of the Administrator", ""},
	{"usaid", "bha", "Bureau for Humanitarian Assistance", "usaid-hq"},
	{"usaid", "kenya", "Mission Kenya", "bha"},
}

// demoStep is one act of the seed at a time in the past.
type demoStep struct {
	at  time.Time
	seq int
	do  func(ctx context.Context) error
}

// demoSeed holds the seed's state while it runs.
type demoSeed struct {
	svc    *dissent.Service
	clock  *demoClock
	now    time.Time
	loc    *time.Location
	people map[string]dissent.Actor
	msgs   map[string]dissent.MessageID
	steps  []demoStep
	last   map[string]time.Time // per message: the time of its previous step
	// replyID is the officer's reply that the director approves.
	replyID int64
}

// seedDemo fills an empty deployment with the demo's organizations, people
// and messages. It returns the clock to real time when done.
func seedDemo(ctx context.Context, svc *dissent.Service, clock *demoClock) error {
	defer clock.Reset()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		return err
	}
	d := &demoSeed{svc: svc, clock: clock, now: clock.real(), loc: loc, people: map[string]dissent.Actor{},
		msgs: map[string]dissent.MessageID{}, last: map[string]time.Time{}}
	clock.Set(d.day(90, 9))
	sys := dissent.System
	for _, o := range []dissent.OrgInput{{ID: "state", Name: "Department of State"}, {ID: "usaid", Name: "U.S. Agency for International Development"}} {
		if _, err := svc.AddOrg(ctx, sys, o); err != nil {
			return fmt.Errorf("demo org %s: %w", o.ID, err)
		}
	}
	for _, u := range demoUnits {
		if _, err := svc.AddUnit(ctx, sys, dissent.UnitInput{ID: u.id, OrgID: u.org, Name: u.name, ParentID: u.parent}); err != nil {
			return fmt.Errorf("demo unit %s: %w", u.id, err)
		}
	}
	if err := svc.AddClosure(ctx, sys, "state", d.day(30, 0).Format(time.DateOnly), "Closed by executive order"); err != nil {
		return fmt.Errorf("demo closure: %w", err)
	}
	in := make([]dissent.PersonInput, len(demoCast))
	for i, p := range demoCast {
		in[i] = dissent.PersonInput{Email: p.email, Name: p.name, OrgID: p.org, UnitID: p.unit, Supervisor: p.supervisor, Roles: p.roles}
	}
	added, err := svc.AddPeople(ctx, sys, in)
	if err != nil {
		return fmt.Errorf("demo people: %w", err)
	}
	for _, p := range added {
		d.people[p.Email] = dissent.Actor{Person: p.Person}
	}
	d.script()
	sort.SliceStable(d.steps, func(i, j int) bool {
		if !d.steps[i].at.Equal(d.steps[j].at) {
			return d.steps[i].at.Before(d.steps[j].at)
		}
		return d.steps[i].seq < d.steps[j].seq
	})
	for _, s := range d.steps {
		clock.Set(s.at)
		if err := s.do(ctx); err != nil {
			return fmt.Errorf("demo step at %s: %w", s.at.Format(time.RFC3339), err)
		}
	}
	return nil
}

// day is daysAgo calendar days before now at hour in Washington, moved back
// to the Friday before when it falls on a weekend.
func (d *demoSeed) day(daysAgo, hour int) time.Time {
	n := d.now.In(d.loc)
	t := time.Date(n.Year(), n.Month(), n.Day()-daysAgo, hour, 0, 0, 0, d.loc)
	switch t.Weekday() {
	case time.Saturday:
		t = t.AddDate(0, 0, -1)
	case time.Sunday:
		t = t.AddDate(0, 0, -2)
	}
	return t
}

// at schedules an act of message key daysAgo days before now. Acts of one
// message keep their order even when weekends fold two days into one.
func (d *demoSeed) at(key string, daysAgo, hour int, do func(ctx context.Context) error) {
	t := d.day(daysAgo, hour)
	if prev, ok := d.last[key]; ok && !t.After(prev) {
		t = prev.Add(7 * time.Minute)
	}
	d.last[key] = t
	d.steps = append(d.steps, demoStep{at: t, seq: len(d.steps), do: do})
}

func (d *demoSeed) p(email string) dissent.Actor { return d.people[email] }

// create, invite, sign, submit: the common beginnings of a message.
func (d *demoSeed) create(key string, daysAgo int, drafter string, draft dissent.Draft) {
	d.at(key, daysAgo, 9, func(ctx context.Context) error {
		m, err := d.svc.CreateMessage(ctx, d.p(drafter), draft)
		d.msgs[key] = m.ID
		return err
	})
}

func (d *demoSeed) invite(key string, daysAgo int, drafter string, emails ...string) {
	d.at(key, daysAgo, 10, func(ctx context.Context) error {
		_, err := d.svc.Invite(ctx, d.p(drafter), d.msgs[key], emails)
		return err
	})
}

func (d *demoSeed) sign(key string, daysAgo int, who string, minCosigners int) {
	d.at(key, daysAgo, 11, func(ctx context.Context) error {
		m, err := d.svc.GetMessage(ctx, d.p(who), d.msgs[key])
		if err != nil {
			return err
		}
		_, err = d.svc.Sign(ctx, d.p(who), d.msgs[key], m.ContentHash, minCosigners)
		return err
	})
}

func (d *demoSeed) submit(key string, daysAgo int, drafter string) {
	d.at(key, daysAgo, 14, func(ctx context.Context) error {
		m, err := d.svc.GetMessage(ctx, d.p(drafter), d.msgs[key])
		if err != nil {
			return err
		}
		_, err = d.svc.Submit(ctx, d.p(drafter), d.msgs[key], m.ContentHash)
		return err
	})
}

func (d *demoSeed) act(key string, daysAgo, hour int, fn func(ctx context.Context, id dissent.MessageID) error) {
	d.at(key, daysAgo, hour, func(ctx context.Context) error { return fn(ctx, d.msgs[key]) })
}

// acknowledge has the channel officer acknowledge the message at 10:00 and
// the director assign it to officer at 11:00, daysAgo days back.
func (d *demoSeed) acknowledge(key string, daysAgo int, officer string) {
	d.act(key, daysAgo, 10, func(ctx context.Context, id dissent.MessageID) error {
		_, err := d.svc.Acknowledge(ctx, d.p("officer@state.example"), id)
		return err
	})
	d.act(key, daysAgo, 11, func(ctx context.Context, id dissent.MessageID) error {
		return d.svc.Assign(ctx, d.p("director@state.example"), id, officer)
	})
}

// date is the civil date daysAgo days before now (negative: ahead).
func (d *demoSeed) date(daysAgo int) string {
	n := d.now.In(d.loc)
	return time.Date(n.Year(), n.Month(), n.Day()-daysAgo, 12, 0, 0, 0, d.loc).Format(time.DateOnly)
}

// script lays out the messages, one in every state.
func (d *demoSeed) script() {
	svc := d.svc
	officer, director, reviewer, principal := d.p("officer@state.example"), d.p("director@state.example"), d.p("reviewer@state.example"), d.p("principal@state.example")

	// closed: an officer's reply approved by the director, a meeting, closed.
	d.create("closed", 75, "julia@usaid.example", demoDrafts["closed"])
	d.invite("closed", 74, "julia@usaid.example", "ibrahim@usaid.example", "lena@usaid.example")
	d.sign("closed", 74, "ibrahim@usaid.example", 0)
	d.sign("closed", 73, "lena@usaid.example", 0)
	d.submit("closed", 72, "julia@usaid.example")
	d.acknowledge("closed", 71, "officer2@state.example")
	d.act("closed", 45, 15, func(ctx context.Context, id dissent.MessageID) error {
		r, _, err := svc.Reply(ctx, d.p("officer2@state.example"), id, demoReplies["closed"])
		if err != nil {
			return err
		}
		d.replyID = r.ID
		return nil
	})
	d.act("closed", 44, 10, func(ctx context.Context, id dissent.MessageID) error {
		_, err := svc.ApproveReply(ctx, director, id, d.replyID)
		return err
	})
	d.act("closed", 40, 16, func(ctx context.Context, id dissent.MessageID) error {
		_, err := svc.RecordMeeting(ctx, officer, id, d.date(41), "The Deputy Administrator met the three authors for 45 minutes and asked for a follow-up paper on the voucher pilot.")
		return err
	})
	d.act("closed", 39, 10, func(ctx context.Context, id dissent.MessageID) error {
		_, err := svc.Close(ctx, officer, id)
		return err
	})

	// replied: consulted, distributed to a principal, answered by the
	// director, with a meeting asked for and held.
	d.create("replied", 50, "emma@state.example", demoDrafts["replied"])
	d.invite("replied", 49, "emma@state.example", "chen@state.example", "fatima@state.example", "gabriel@state.example")
	d.sign("replied", 49, "chen@state.example", 0)
	d.sign("replied", 48, "fatima@state.example", 0)
	d.sign("replied", 48, "gabriel@state.example", 2) // conditional, and met
	d.submit("replied", 48, "emma@state.example")
	d.acknowledge("replied", 47, "officer@state.example")
	d.act("replied", 46, 10, func(ctx context.Context, id dissent.MessageID) error {
		_, err := svc.Consult(ctx, officer, id, "reviewer@state.example", d.date(36))
		return err
	})
	d.act("replied", 45, 10, func(ctx context.Context, id dissent.MessageID) error {
		return svc.Distribute(ctx, officer, id, []string{"principal@state.example"})
	})
	d.act("replied", 40, 15, func(ctx context.Context, id dissent.MessageID) error {
		return svc.GiveInput(ctx, reviewer, id, "The Bureau of African Affairs agrees that the visa backlog has a policy cause, not only a staffing one, and would support a joint review.")
	})
	d.act("replied", 12, 16, func(ctx context.Context, id dissent.MessageID) error {
		_, _, err := svc.Reply(ctx, director, id, demoReplies["replied"])
		return err
	})
	d.act("replied", 8, 10, func(ctx context.Context, id dissent.MessageID) error { return svc.RequestMeeting(ctx, principal, id) })
	d.act("replied", 3, 15, func(ctx context.Context, id dissent.MessageID) error {
		_, err := svc.RecordMeeting(ctx, officer, id, d.date(4), "The Secretary met the authors; Consular Affairs will brief on the appointment system within 30 days.")
		return err
	})

	// acknowledged: in progress, an open consultation, distributed, and the
	// reply deadline extended.
	d.create("acknowledged", 20, "hana@state.example", demoDrafts["acknowledged"])
	d.invite("acknowledged", 19, "hana@state.example", "chen@state.example", "gabriel@state.example", "kofi@usaid.example", "lena@usaid.example")
	d.sign("acknowledged", 19, "chen@state.example", 0)
	d.sign("acknowledged", 18, "kofi@usaid.example", 0)
	d.sign("acknowledged", 18, "gabriel@state.example", 2) // conditional: at least 2 others, met
	d.sign("acknowledged", 17, "lena@usaid.example", 0)
	d.submit("acknowledged", 15, "hana@state.example")
	d.acknowledge("acknowledged", 14, "officer@state.example")
	d.act("acknowledged", 3, 10, func(ctx context.Context, id dissent.MessageID) error {
		_, err := svc.Consult(ctx, officer, id, "reviewer@state.example", d.date(-10))
		return err
	})
	d.act("acknowledged", 2, 10, func(ctx context.Context, id dissent.MessageID) error {
		return svc.Distribute(ctx, officer, id, []string{"principal@state.example", "deputy@state.example"})
	})
	d.act("acknowledged", 1, 16, func(ctx context.Context, id dissent.MessageID) error {
		_, err := svc.Extend(ctx, director, id, 45, "Two bureaus and USAID must clear the reply; we need three more weeks.")
		return err
	})

	// redirected: a personnel matter, sent to the proper channel.
	d.create("redirected", 13, "ibrahim@usaid.example", demoDrafts["redirected"])
	d.submit("redirected", 12, "ibrahim@usaid.example")
	d.act("redirected", 10, 11, func(ctx context.Context, id dissent.MessageID) error {
		_, err := svc.Redirect(ctx, officer, id, "This concerns a personnel decision, which the dissent channel does not handle.", "USAID Office of Human Capital and Talent Management, grievance procedure")
		return err
	})

	// withdrawn by its drafter after submission.
	d.create("withdrawn", 9, "gabriel@state.example", demoDrafts["withdrawn"])
	d.submit("withdrawn", 8, "gabriel@state.example")
	d.act("withdrawn", 7, 9, func(ctx context.Context, id dissent.MessageID) error {
		_, err := svc.Withdraw(ctx, d.p("gabriel@state.example"), id)
		return err
	})

	// submitted and now overdue for acknowledgement.
	d.create("overdue", 7, "lena@usaid.example", demoDrafts["overdue"])
	d.submit("overdue", 6, "lena@usaid.example")

	// submitted yesterday: acknowledgement due soon.
	d.create("submitted", 3, "fatima@state.example", demoDrafts["submitted"])
	d.invite("submitted", 2, "fatima@state.example", "hana@state.example")
	d.sign("submitted", 2, "hana@state.example", 0)
	d.submit("submitted", 1, "fatima@state.example")

	// circulating: two signatures, one conditional and still sealed.
	d.create("circulating", 4, "chen@state.example", demoDrafts["circulating"])
	d.invite("circulating", 3, "chen@state.example", "emma@state.example", "gabriel@state.example", "fatima@state.example")
	d.sign("circulating", 2, "emma@state.example", 0)
	d.sign("circulating", 2, "gabriel@state.example", 5) // sealed until five others sign

	// draft: just started.
	d.create("draft", 1, "julia@usaid.example", demoDrafts["draft"])
}

var demoDrafts = map[string]dissent.Draft{
	"closed": {Title: "Cash vouchers would reach more families than food shipments in the Horn of Africa",
		Summary: "In-kind food aid costs more per family reached and arrives later than market-based vouchers where markets still work.",
		Body:    "## The policy\n\nOur drought response ships US-sourced commodities to every district, including those where local markets are stocked.\n\n## Why we disagree\n\n- Shipping and storage take **40 %** of the budget in districts with working markets.\n- Families wait six to ten weeks for deliveries.\n- A 2022 pilot in two districts reached 30 % more households with vouchers.\n\n## What we propose\n\nUse vouchers wherever market monitoring shows stocks, and keep commodities for the districts without them."},
	"replied": {Title: "The visa appointment system shuts out the applicants we most want to reach",
		Summary: "First-come booking lets brokers take most appointments and resell them; students and exchange visitors pay or give up.",
		Body:    "## What we see at post\n\nBrokers run scripts that book appointments the moment they open and resell them for up to 400 euros.\n\n## Why it matters\n\nOur exchange programmes depend on students who cannot pay brokers. Public diplomacy goals and consular practice are working against each other.\n\n## Recommendation\n\nAllocate appointments by lottery among verified applicants, as several Schengen consulates now do."},
	"acknowledged": {Title: "Conditioning security assistance on the new media law",
		Summary: "The partner government's media law criminalizes reporting on the security services; our assistance should be conditioned on its amendment.",
		Body:    "## Background\n\nThe media law passed last month makes reporting on security operations punishable by up to five years in prison.\n\n## Our disagreement\n\nContinuing unconditioned assistance signals that we accept the law. Our own human-rights reporting already documents arrests of journalists under it.\n\n## Options\n\n1. Pause the next tranche until the law is amended.\n2. Condition training on independent monitoring of press freedom.\n3. At minimum, say publicly that we oppose the law."},
	"redirected": {Title: "My performance rating was changed after I raised concerns",
		Summary: "A personnel matter about a changed rating.",
		Body:    "After I raised concerns about a contract, my supervisor changed my rating. I would like this reviewed."},
	"withdrawn": {Title: "Staffing of the regional environmental hub",
		Summary: "The hub is understaffed for its mandate.",
		Body:    "The regional environmental hub covers eleven countries with two officers. (Withdrawn by the drafter: the bureau has since added positions.)"},
	"overdue": {Title: "Local partners need multi-year awards to keep qualified staff",
		Summary: "Twelve-month awards make local partners lay off staff each year; localization goals suffer.",
		Body:    "## The problem\n\nOur localization targets ask us to work through local organizations, but we give them twelve-month awards.\n\n## The effect\n\nEvery year they lay off their best staff for three months while the next award is negotiated.\n\n## The ask\n\nMake three-year awards the default for partners with a clean audit."},
	"submitted": {Title: "Export controls on surveillance software should cover resale through third countries",
		Summary: "Surveillance tools licensed to allies are resold to governments that target dissidents.",
		Body:    "## Finding\n\nTwo licensed surveillance products reached security services that target journalists, through resellers in third countries.\n\n## Recommendation\n\nRequire end-use checks for resale and suspend licences of exporters whose products are diverted."},
	"circulating": {Title: "Our embassy's public statements on the election were weaker than the facts",
		Summary: "The post's statements called the election 'broadly orderly' while our observers documented systematic irregularities.",
		Body:    "## What happened\n\nOur observers documented ballot-box stuffing in 14 of 40 polling stations visited. The embassy's statement called the vote *broadly orderly*.\n\n## Why it matters\n\nOur credibility with civil society depends on saying what we saw.\n\n## Ask\n\nIssue a fuller statement and publish the observers' summary."},
	"draft": {Title: "Draft: procurement rules delay emergency shelter",
		Summary: "Notes for a message on procurement timelines.",
		Body:    "Notes so far: emergency shelter procurement took 94 days on average last year. To be completed."},
}

var demoReplies = map[string]string{
	"closed":  "Thank you for this message. The Bureau for Humanitarian Assistance will adopt market-based assistance as the default in districts where monitoring shows working markets, starting next quarter, and will report on the results in six months.",
	"replied": "Thank you for raising this. Consular Affairs will pilot a verified-applicant lottery at three high-demand posts, including yours, and will report on broker activity after ninety days.",
}

// setUpDemo creates the deployment in cfg and seeds it with the demo.
func setUpDemo(ctx context.Context, e *env, cfg config.Config, clock *demoClock) error {
	d, err := open(ctx, e, cfg, true, nil)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := seedDemo(ctx, d.svc, clock); err != nil {
		return err
	}
	if _, err := d.log.Publish(ctx); err != nil {
		return fmt.Errorf("demo: checkpoint: %w", err)
	}
	if err := os.WriteFile(filepath.Join(cfg.DataDir, demoMarker), []byte("a throwaway demo deployment made by dissent serve --demo\n"), 0o600); err != nil {
		return fmt.Errorf("demo: mark the data directory: %w", err)
	}
	return nil
}

// demoMarker marks a data directory that serve --demo made. serve --demo
// refuses any other deployment: its one-click sign-ins would let anyone
// act as anyone.
const demoMarker = "DEMO"

func checkDemo(cfg config.Config) error {
	if _, err := os.Stat(filepath.Join(cfg.DataDir, demoMarker)); err != nil {
		return &dissent.Error{Kind: dissent.KindConflict, Code: "not_demo",
			Message: "--demo serves only a deployment that serve --demo made, and " + cfg.DataDir + " holds another; its one-click sign-ins would let anyone act as anyone"}
	}
	return nil
}
