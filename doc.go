// Package dissent is the domain of a dissent channel: the organizations and
// people it serves, the messages they draft, co-sign and submit, the channel
// office that must acknowledge and answer them on a deadline, and the one
// authorization policy that decides who may see and do what.
//
// Security properties this package provides, and that every other package
// relies on:
//
//   - Every operation on a message goes through Service, which asks Decide
//     (policy.go) before it touches anything. Decide denies by default.
//   - What a caller may not see does not exist for them: they get NotFound,
//     never Forbidden, so the API is no oracle for which messages exist.
//   - A person in the management chain of any signer is recused: they never
//     handle or review the message, and no view shows them that signer's name.
//   - The administrator manages the directory and can read no message text and
//     no signer names.
//   - Every read of message text or of signer names by someone other than the
//     message's authors is recorded in the same transaction as the read is
//     served from, and shown to the authors and signers.
//   - Protected strings travel as Text, which prints "[redacted]", so they do
//     not reach logs or error messages by accident.
//
// The package imports only the standard library.
package dissent
