package dissent

import (
	"errors"
	"fmt"
)

// Kind classifies an Error. The HTTP edge maps each Kind to one status code.
type Kind int

// The kinds of error. An object the caller may not see is NotFound, never
// Forbidden, so that the API is not an oracle for what exists.
const (
	KindInternal Kind = iota
	KindInvalid
	KindNotFound
	KindConflict
	KindUnauthenticated
	KindForbidden
	KindTooLarge
	KindRateLimited
	KindUnavailable
	KindUnprocessable
)

var kindNames = [...]string{
	KindInternal:        "internal",
	KindInvalid:         "invalid",
	KindNotFound:        "not_found",
	KindConflict:        "conflict",
	KindUnauthenticated: "unauthenticated",
	KindForbidden:       "forbidden",
	KindTooLarge:        "too_large",
	KindRateLimited:     "rate_limited",
	KindUnavailable:     "unavailable",
	KindUnprocessable:   "unprocessable",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is the one domain error. Message is safe to show to the caller; Err,
// if any, is not and is only logged.
type Error struct {
	Kind    Kind
	Code    string // a stable, machine-readable code, e.g. "too_long"
	Message string // safe to show to the caller
	Field   string // the input field at fault, if any
	Limit   int    // the limit the field violated, if any
	Err     error  // the underlying cause, never shown to callers
}

func (e *Error) Error() string {
	s := e.Message
	if e.Field != "" {
		s = e.Field + ": " + s
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorKind returns the Kind of err, or KindInternal for errors that are not
// an *Error.
func ErrorKind(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// AsError returns err as an *Error, wrapping unknown errors as internal ones
// whose message says nothing about the cause.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: KindInternal, Code: "internal", Message: "internal error", Err: err}
}

// ErrDuplicate is what the store returns, wrapped, when an insert would
// repeat a unique key: an id, an e-mail, a second active signature on one
// version. The store words nothing for people; the Service says what exists
// (ifDuplicate).
var ErrDuplicate = errors.New("duplicate key")

// ifDuplicate returns err, or, when it is the store's ErrDuplicate, a
// Conflict with the code exists on field, worded by format.
func ifDuplicate(err error, field, format string, args ...any) error {
	if errors.Is(err, ErrDuplicate) {
		return &Error{Kind: KindConflict, Code: "exists", Field: field, Message: fmt.Sprintf(format, args...)}
	}
	return err
}

// errAlreadySigned: the person holds an active signature on this version
// already (the Service's check, or the store's unique index in a race).
func errAlreadySigned() *Error {
	return &Error{Kind: KindConflict, Code: "already_signed", Message: "you have already signed this version"}
}

// ErrNotFound is what a caller gets for anything it may not see or that does
// not exist; the two are deliberately indistinguishable.
func ErrNotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Code: "not_found", Message: what + " not found"}
}

func errInvalid(field, code, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

func errTooLong(field string, limit int, unit string) *Error {
	return &Error{Kind: KindInvalid, Code: "too_long", Field: field, Limit: limit,
		Message: fmt.Sprintf("%s must be at most %d %s", field, limit, unit)}
}

func errConflict(code, format string, args ...any) *Error {
	return &Error{Kind: KindConflict, Code: code, Message: fmt.Sprintf(format, args...)}
}

func errForbidden(format string, args ...any) *Error {
	return &Error{Kind: KindForbidden, Code: "forbidden", Message: fmt.Sprintf(format, args...)}
}
