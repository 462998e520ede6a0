package dissent

// Action is something a person may try to do: to a message, or, for the
// actions from ActAddArticle on that say so, to the deployment (about no
// message; Decide reads only Facts.System for them).
type Action int

// The actions the policy decides. Each is checked by Decide and nowhere else.
const (
	ActSee              Action = iota // know the message exists and see its metadata (state, deadlines, counts)
	ActReadText                       // read title, summary, body and replies
	ActReadNames                      // read the names of the drafter and signers
	ActEdit                           // change the draft's text (makes a new version)
	ActInvite                         // invite co-signers
	ActAddCoauthor                    // add a co-author
	ActSign                           // sign the current version
	ActUnsign                         // withdraw one's own signature before submission
	ActSubmit                         // submit the message to the channel
	ActWithdraw                       // withdraw the whole message (drafter, before acknowledgement)
	ActAskEndorsement                 // ask a chief of mission or supervisor to endorse
	ActEndorse                        // give the endorsement one was asked for
	ActAcknowledge                    // acknowledge receipt for the channel office
	ActAssign                         // assign a channel officer
	ActConsult                        // consult a reviewer
	ActGiveInput                      // a consulted reviewer's input
	ActReply                          // draft a reply (officer) or send one (director)
	ActApproveReply                   // approve an officer's reply (director)
	ActExtend                         // extend the reply deadline (director)
	ActRedirect                       // redirect an out-of-scope message to the proper channel
	ActDistribute                     // add principals to the distribution
	ActRecordMeeting                  // record a meeting after the reply
	ActRequestMeeting                 // a principal asks for a meeting
	ActClose                          // close the case
	ActReopen                         // reopen a closed case (director)
	ActReadAccessLog                  // see who read the message
	ActReceipt                        // get one's own receipt
	ActBreakGlass                     // an auditor's recorded emergency read
	ActSeeExposure                    // see the exposure findings on the message, with its passages beside the article's
	ActAddArticle                     // add a press article to the exposure monitor (about no message: Facts are ignored)
	ActManageFeeds                    // add the RSS/Atom feeds the monitor polls (about no message: Facts are ignored)
	ActReadInvitations                // list who is invited and who of them signed (the authors)
	ActManageVocabulary               // add and retire classification markings, topics and tiers (about no message: Facts are ignored)
	ActManageTiers                    // keep each tier's default distribution list (about no message: Facts are ignored)
	ActSendReply                      // reply without anyone's approval: the reply goes to the authors at once (director)

	// The deployment-level actions: about no message. Decide reads only
	// Facts.System for them (permit and May fill it in from the actor).
	ActManageDirectory   // organizations, units, calendars and single sign-on
	ActManagePeople      // list, add, import and change people, their roles, supervisors and units; deactivate and reactivate
	ActManageCredentials // other people's credentials: first sign-in links, requests for links and their approval, others' tokens
	ActIssueToken        // issue an API token for another person (the deployment itself only)
	ActSignInAs          // the demo's one-click sign-in, without a credential (the deployment itself only)
	ActRotateKeys        // rewrap the data keys under a new key-encryption key (the deployment itself only)
	ActReadAuditOverview // the auditor's overview of the log: its size, checkpoint and recent events, without content
	ActReadInbox         // the channel office's inbox and its export
	ActReadStatistics    // the channel's statistics (dashboard, timeliness)
	ActMakeReport        // the public transparency report
	ActListSubmitted     // consider every submitted message for one's list of messages (each still needs ActSee)
	ActListDistributed   // the list of messages distributed to oneself as a principal
	ActListConsultations // the list of consultations sent to oneself as a reviewer
	ActCreateMessage     // start a draft
	ActJoinByLink        // join a message as an invitee through its invitation link
	numActions
)

var actionNames = [...]string{
	ActSee: "see", ActReadText: "read_text", ActReadNames: "read_names", ActEdit: "edit", ActInvite: "invite",
	ActAddCoauthor: "add_coauthor", ActSign: "sign", ActUnsign: "unsign", ActSubmit: "submit",
	ActWithdraw: "withdraw", ActAskEndorsement: "ask_endorsement", ActEndorse: "endorse",
	ActAcknowledge: "acknowledge", ActAssign: "assign", ActConsult: "consult", ActGiveInput: "give_input",
	ActReply: "reply", ActApproveReply: "approve_reply", ActExtend: "extend", ActRedirect: "redirect",
	ActDistribute: "distribute", ActRecordMeeting: "record_meeting", ActRequestMeeting: "request_meeting",
	ActClose: "close", ActReopen: "reopen", ActReadAccessLog: "read_access_log", ActReceipt: "receipt",
	ActBreakGlass: "break_glass", ActSeeExposure: "see_exposure", ActAddArticle: "add_article",
	ActManageFeeds: "manage_feeds", ActReadInvitations: "read_invitations", ActManageVocabulary: "manage_vocabulary",
	ActManageTiers: "manage_tiers", ActSendReply: "send_reply",
	ActManageDirectory: "manage_directory", ActManagePeople: "manage_people", ActManageCredentials: "manage_credentials",
	ActIssueToken: "issue_token", ActSignInAs: "sign_in_as", ActRotateKeys: "rotate_keys",
	ActReadAuditOverview: "read_audit_overview", ActReadInbox: "read_inbox", ActReadStatistics: "read_statistics",
	ActMakeReport: "make_report", ActListSubmitted: "list_submitted", ActListDistributed: "list_distributed",
	ActListConsultations: "list_consultations", ActCreateMessage: "create_message", ActJoinByLink: "join_by_link",
}

func (a Action) String() string {
	if a >= 0 && int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "unknown"
}

// onMessage reports whether the action is about one message (Decide reads
// the person's relation to it), rather than about the deployment.
func (a Action) onMessage() bool {
	switch a {
	case ActAddArticle, ActManageFeeds, ActManageVocabulary, ActManageTiers:
		return false
	}
	return a >= 0 && a < ActManageDirectory
}

// AllActions lists every action.
func AllActions() []Action {
	out := make([]Action, numActions)
	for i := range out {
		out[i] = Action(i)
	}
	return out
}

// Facts are what the policy needs to know about one person and one message.
// The Service gathers them inside the transaction that acts on the decision.
type Facts struct {
	Drafter     bool // the person drafted the message
	Coauthor    bool // the person is a co-author
	Signer      bool // the person holds a signature on the message (any version, not withdrawn)
	Invitee     bool // the person was invited to co-sign
	Endorser    bool // the person was asked to endorse
	Consulted   bool // the person has a consultation on the message that is open
	Distributed bool // the message was distributed to the person as a principal
	// InChain: the person is in the management chain of a signer, the
	// drafter or a co-author. The store reports it only for a person who
	// takes no part in the message (TakesPart): one who does is recused
	// whatever the chain (recused), and the chain is not read for them.
	InChain   bool
	Submitted bool // the message has been submitted (whatever its state now)
	// System: the actor is the deployment itself (the command line, which
	// holds the data directory). Only the deployment-level actions read it;
	// permit and May set it for the actor whose ID is System's, and the
	// zero Actor, whose ID is the same, holds no role and so may do nothing.
	System bool
}

func (f Facts) author() bool { return f.Drafter || f.Coauthor }

// involved reports whether the person takes part in the message as an
// author, signer, invitee or endorser: such a person never handles, reviews
// or audits it, whatever their office.
func (f Facts) involved() bool { return f.Drafter || f.TakesPart() }

// TakesPart reports whether the person takes part in the message as a
// co-author, signer, invitee or endorser: what the store knows of the
// person's part without the message's drafter (InChain).
func (f Facts) TakesPart() bool { return f.Coauthor || f.Signer || f.Invitee || f.Endorser }

// recused reports whether an office role must stay out of the message.
func (f Facts) recused() bool { return f.InChain || f.involved() }

// Decide reports whether a person holding roles may take action on a
// message described by f. It is the one authorization decision of the
// product; it denies by default, and a person may do what any one of their
// roles allows.
//
// Recusal: a person in the management chain of a signer, and a person who
// takes part in the message (author, signer, invitee, endorser), never
// handles, reviews or breaks the glass on that message, whatever their role. Principals in the chain still read the text
// they were sent, but the names of signers they supervise are withheld from
// them by the Service (see Service.Signers), as from anyone else.
func Decide(roles Roles, action Action, f Facts) bool {
	for _, r := range roles {
		if roleAllows(r, action, f) {
			return true
		}
	}
	return false
}

func roleAllows(r Role, a Action, f Facts) bool {
	switch a {
	case ActAddArticle:
		// Articles are public press; the channel office feeds the monitor.
		return r == RoleOfficer || r == RoleDirector
	case ActManageFeeds:
		// The feeds decide what the monitor reads, and so what it can
		// find: the channel office's business, not the administrator's
		// (issue 11).
		return r == RoleOfficer || r == RoleDirector
	case ActManageVocabulary:
		// The vocabulary is configuration, not content.
		return r == RoleAdmin
	case ActManageTiers:
		// The office distributes, so it keeps the tiers' default lists.
		return r == RoleOfficer || r == RoleDirector
	case ActManageDirectory, ActManagePeople, ActManageCredentials:
		// The administrator manages the directory and reads no message.
		return r == RoleAdmin
	case ActIssueToken, ActSignInAs, ActRotateKeys:
		// What only the deployment itself may do: no administrator issues
		// a token for another person or signs in as them, and only the
		// command line holds the keyring.
		return r == RoleAdmin && f.System
	case ActReadAuditOverview:
		return r == RoleAuditor
	case ActReadInbox:
		return r == RoleOfficer || r == RoleDirector
	case ActReadStatistics:
		// The same figures for the office and the compliance monitor.
		return r == RoleOfficer || r == RoleDirector || r == RoleMonitor
	case ActMakeReport:
		// For publication, but its inputs are not: the office, the
		// monitor, and the deployment itself.
		return r == RoleOfficer || r == RoleDirector || r == RoleMonitor || r == RoleAdmin && f.System
	case ActListSubmitted:
		// The roles that may see some submitted message they take no part
		// in; which ones is still decided message by message (ActSee).
		return r == RoleOfficer || r == RoleDirector || r == RoleMonitor || r == RoleAuditor
	case ActListDistributed:
		return r == RolePrincipal
	case ActListConsultations:
		return r == RoleReviewer
	case ActCreateMessage, ActJoinByLink:
		return r == RoleEmployee
	}
	switch r {
	case RoleEmployee:
		return employeeAllows(a, f)
	case RoleOfficer:
		return !f.recused() && f.Submitted && officerAllows(a)
	case RoleDirector:
		return !f.recused() && f.Submitted && (officerAllows(a) || directorAllows(a))
	case RolePrincipal:
		if !f.Submitted || !f.Distributed {
			return false
		}
		switch a {
		case ActSee, ActReadText, ActReadNames, ActRequestMeeting:
			return true
		}
	case RoleReviewer:
		if !f.Submitted || !f.Consulted || f.recused() {
			return false
		}
		switch a {
		case ActSee, ActReadText, ActGiveInput:
			return true
		}
	case RoleMonitor:
		return f.Submitted && a == ActSee
	case RoleAuditor:
		if !f.Submitted || f.recused() {
			return false
		}
		return a == ActSee || a == ActBreakGlass
	case RoleAdmin:
		// The administrator manages the directory and reads no message.
		return false
	}
	return false
}

func employeeAllows(a Action, f Facts) bool {
	switch a {
	case ActSee, ActReadText:
		return f.author() || f.Signer || f.Invitee || f.Endorser
	case ActReadNames, ActReadAccessLog, ActReceipt:
		return f.author() || f.Signer
	case ActEdit, ActInvite, ActAskEndorsement, ActReadInvitations:
		return f.author()
	case ActAddCoauthor, ActSubmit, ActWithdraw:
		return f.Drafter
	case ActSeeExposure:
		// The authors learn where their message leaked; signers do not.
		return f.author()
	case ActSign:
		return f.author() || f.Invitee
	case ActUnsign:
		return f.Signer && !f.Drafter
	case ActEndorse:
		return f.Endorser
	}
	return false
}

func officerAllows(a Action) bool {
	switch a {
	case ActSee, ActReadText, ActReadNames, ActAcknowledge, ActAssign, ActConsult, ActReply,
		ActRedirect, ActDistribute, ActRecordMeeting, ActClose, ActSeeExposure:
		return true
	}
	return false
}

func directorAllows(a Action) bool {
	switch a {
	case ActApproveReply, ActExtend, ActReopen, ActSendReply:
		return true
	}
	return false
}

// --- Decisions about no message ---

// May reports whether the actor may take an action that concerns no one
// message (a deployment-level action, or one of the monitor's, the
// vocabulary's or the tiers'). Its one fact is whether the actor is the
// deployment itself. Pages use it to choose what to show; the Service
// decides again (permit) when the act is tried.
func May(a Actor, act Action) bool {
	return Decide(a.Roles, act, Facts{System: a.ID == System.ID})
}

// permit returns nil when the actor may take act, which concerns no one
// message, and otherwise the refusal: Forbidden, whose message says who
// may. The decision reads nothing but the actor, which the request
// authenticated, so the Service asks it first, before it validates the
// input or opens a transaction; what must be read to decide (a target's
// eligibility, the credential guard, the last administrator) is checked
// in the transaction that acts.
func permit(a Actor, act Action) error {
	if May(a, act) {
		return nil
	}
	e := &Error{Kind: KindForbidden, Code: "forbidden", Message: "you may not do this"}
	switch act {
	case ActManageDirectory:
		e.Message = "only an administrator may manage organizations, units, calendars and single sign-on"
	case ActManagePeople:
		e.Message = "only an administrator may manage people"
	case ActManageCredentials:
		e.Message = "only an administrator may manage the sign-in links and tokens of others"
	case ActIssueToken:
		e.Code, e.Message = "token_for_other", "an administrator may not issue API tokens for other people; they create their own on their account page"
	case ActSignInAs:
		e.Message = "only the deployment itself may sign people in without a credential"
	case ActRotateKeys:
		e.Message = "only the deployment itself may rotate the keys"
	case ActReadAuditOverview:
		e.Message = "only auditors see the audit log's overview"
	case ActReadInbox:
		e.Message = "only the channel office's officers and director see the inbox"
	case ActReadStatistics:
		e.Message = "only the channel office and the compliance monitor see the statistics"
	case ActMakeReport:
		e.Message = "only the channel office and the compliance monitor make the public report"
	case ActListDistributed:
		e.Message = "only principals have messages distributed to them"
	case ActListConsultations:
		e.Message = "only reviewers are consulted"
	case ActCreateMessage:
		e.Message = "only employees may draft messages"
	case ActJoinByLink:
		e.Code, e.Message = "not_eligible", "only employees may join a message to co-sign it"
	case ActAddArticle:
		e.Message = "only the channel office may add articles"
	case ActManageFeeds:
		e.Message = "only the channel office (officers and directors) manages the feeds"
	case ActManageVocabulary:
		e.Message = "only an administrator may change the vocabulary"
	case ActManageTiers:
		e.Message = "only the channel office keeps the tiers' distribution lists"
	}
	return e
}

// Menus are the parts of the web pages a person's roles open. They are for
// the navigation only: each page's use case decides again.
type Menus struct {
	Messages      bool // one's own messages and a new one
	Office        bool // the channel office's inbox and dashboard
	Exposure      bool // the exposure monitor: the office's, or the findings on one's own messages
	Distributed   bool // what was distributed to a principal
	Consultations bool // a reviewer's consultations
	Timeliness    bool // the compliance monitor's page (the office reads the same figures on its dashboard)
	Audit         bool // the auditor's overview of the log
	Admin         bool // the administration of the directory
}

// Navigation returns the parts of the web pages the actor's roles open.
func Navigation(a Actor) Menus {
	may := func(act Action) bool { return May(a, act) }
	return Menus{
		Messages:      may(ActCreateMessage),
		Office:        may(ActReadInbox),
		Exposure:      may(ActAddArticle) || may(ActCreateMessage),
		Distributed:   may(ActListDistributed),
		Consultations: may(ActListConsultations),
		Timeliness:    a.Roles.Has(RoleMonitor),
		Audit:         may(ActReadAuditOverview),
		Admin:         may(ActManagePeople),
	}
}

// --- Another person's eligibility ---
//
// These are facts about the person an act is aimed at, not the actor's
// permission: the actor's own decision is Decide's. Each is checked in
// the transaction that acts, on the person as it reads them there.

// ContentRoles are the roles an administrator may not grant themselves:
// each reads something of the channel (text, names, or which messages
// exist and when).
var ContentRoles = Roles{RoleOfficer, RoleDirector, RolePrincipal, RoleReviewer, RoleMonitor, RoleAuditor}

// eligibleAssignee reports whether p holds the office role a message is
// given to: role officer (an officer or the director: Assign) or reviewer
// (Consult). Recusal is checked apart, on p's facts about the message.
func eligibleAssignee(p Person, role Role) bool {
	return p.Roles.Has(role) || role == RoleOfficer && p.Roles.Has(RoleDirector)
}

// eligibleRecipient reports whether messages may be distributed to p,
// directly or through a tier's default list: p is a principal.
func eligibleRecipient(p Person) bool { return p.Roles.Has(RolePrincipal) }

// eligibleParticipant reports whether p may be invited to co-sign, made a
// co-author or asked to endorse: p is an employee.
func eligibleParticipant(p Person) bool { return p.Roles.Has(RoleEmployee) }

// mayGrantSelf reports whether an administrator who holds held may give
// themselves role r: never a content role they do not already hold
// (another administrator, or the command line, may).
func mayGrantSelf(held Roles, r Role) bool { return !ContentRoles.Has(r) || held.Has(r) }

// administers reports whether roles include the administrator's: the last
// administrator keeps the role, an HR import never removes it, and a
// sync's deactivation of missing people spares administrators.
func administers(roles Roles) bool { return roles.Has(RoleAdmin) }
