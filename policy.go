package dissent

// Action is something a person may try to do to a message.
type Action int

// The actions the policy decides. Each is checked by Decide and nowhere else.
const (
	ActSee            Action = iota // know the message exists and see its metadata (state, deadlines, counts)
	ActReadText                     // read title, summary, body and replies
	ActReadNames                    // read the names of the drafter and signers
	ActEdit                         // change the draft's text (makes a new version)
	ActInvite                       // invite co-signers
	ActAddCoauthor                  // add a co-author
	ActSign                         // sign the current version
	ActUnsign                       // withdraw one's own signature before submission
	ActSubmit                       // submit the message to the channel
	ActWithdraw                     // withdraw the whole message (drafter, before acknowledgement)
	ActAskEndorsement               // ask a chief of mission or supervisor to endorse
	ActEndorse                      // give the endorsement one was asked for
	ActAcknowledge                  // acknowledge receipt for the channel office
	ActAssign                       // assign a channel officer
	ActConsult                      // consult a reviewer
	ActGiveInput                    // a consulted reviewer's input
	ActReply                        // draft a reply (officer) or send one (director)
	ActApproveReply                 // approve an officer's reply (director)
	ActExtend                       // extend the reply deadline (director)
	ActRedirect                     // redirect an out-of-scope message to the proper channel
	ActDistribute                   // add principals to the distribution
	ActRecordMeeting                // record a meeting after the reply
	ActRequestMeeting               // a principal asks for a meeting
	ActClose                        // close the case
	ActReopen                       // reopen a closed case (director)
	ActReadAccessLog                // see who read the message
	ActReceipt                      // get one's own receipt
	ActBreakGlass                   // an auditor's recorded emergency read
	ActSeeExposure                  // see the exposure findings on the message, with its passages beside the article's
	ActAddArticle                   // add a press article to the exposure monitor (about no message: Facts are ignored)
	ActManageFeeds                  // add the RSS/Atom feeds the monitor polls (about no message: Facts are ignored)
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
	ActManageFeeds: "manage_feeds",
}

func (a Action) String() string {
	if a >= 0 && int(a) < len(actionNames) {
		return actionNames[a]
	}
	return "unknown"
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
	InChain     bool // the person is in the management chain of a signer, the drafter or a co-author
	Submitted   bool // the message has been submitted (whatever its state now)
}

func (f Facts) author() bool { return f.Drafter || f.Coauthor }

// involved reports whether the person takes part in the message as an
// author, signer, invitee or endorser: such a person never handles, reviews
// or audits it, whatever their office.
func (f Facts) involved() bool { return f.author() || f.Signer || f.Invitee || f.Endorser }

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
	case ActEdit, ActInvite, ActAskEndorsement:
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
	case ActApproveReply, ActExtend, ActReopen:
		return true
	}
	return false
}
