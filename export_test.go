package dissent

// UrgencyOf exposes urgencyOf to the external tests (urgency_test.go), which
// need internal/deadline, and internal/deadline imports this package.
var UrgencyOf = urgencyOf

// OnMessage exposes Action.onMessage to the external tests
// (employee_test.go: MessageView.Can lists only the actions on a message).
func OnMessage(a Action) bool { return a.onMessage() }
