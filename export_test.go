package dissent

// UrgencyOf exposes urgencyOf to the external tests (urgency_test.go), which
// need internal/deadline, and internal/deadline imports this package.
var UrgencyOf = urgencyOf
