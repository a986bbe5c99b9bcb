package sql

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"

	"github.com/weftworks/weft"
	"github.com/weftworks/weft/netguard"
	"github.com/weftworks/weft/step"
)

// Error codes of the sql steps (recorded as the step run's error code).
const (
	CodeSQL        = "sql"              // the database refused the statement
	CodeConnect    = "sql_connection"   // the database could not be reached or dropped the connection
	CodeRowLimit   = "row_limit"        // more rows than max_rows
	CodeTooLarge   = "result_too_large" // more bytes than max_bytes
	CodeCredential = "credential"
)

// scrubbed is an error whose message has the credential's secrets removed;
// it still unwraps to the cause, so errors.Is sees a timeout.
type scrubbed struct {
	msg   string
	cause error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.cause }

// minScrub: shorter values are left alone (replacing "ab" everywhere would
// shred messages without protecting anything).
const minScrub = 3

// scrub removes every secret from msg.
func scrub(msg string, secrets []string) string {
	for _, s := range secrets {
		if len(s) >= minScrub {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	return msg
}

// failure turns a driver error into the step's error: secrets scrubbed,
// a code, and retryable only where repeating is safe (idempotent) and may
// help (the connection, not the statement, failed).
func failure(what string, err error, pl *pool, idempotent bool) error {
	var secrets []string
	if pl != nil {
		secrets = pl.secrets
	}
	e := &scrubbed{msg: scrub(what+": "+err.Error(), secrets), cause: err}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		if idempotent {
			return step.Retryable(&step.CodedError{Code: "timeout", Err: e}, 0)
		}
		return &step.CodedError{Code: "timeout", Err: e}
	case errors.Is(err, context.Canceled):
		return e
	case errors.Is(err, netguard.ErrBlocked), errors.Is(err, weft.ErrInvalid), errors.Is(err, weft.ErrNotFound):
		return &step.CodedError{Code: CodeCredential, Err: e}
	case isConnectionError(err):
		if idempotent {
			return step.Retryable(&step.CodedError{Code: CodeConnect, Err: e}, 0)
		}
		return &step.CodedError{Code: CodeConnect, Err: e}
	}
	return &step.CodedError{Code: CodeSQL, Err: e}
}

// isConnectionError reports a failure to reach or keep the server, as
// opposed to the server refusing the statement.
func isConnectionError(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// 08: connection exception; 57P0x: server shutting down; 53300:
		// too many connections.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P0") || pgErr.Code == "53300"
	}
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		return myErr.Number == 1040 || myErr.Number == 1053 // too many connections, server shutdown
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// isSerialization reports a conflict with another transaction that the
// database already rolled back: running the transaction again is safe.
func isSerialization(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		return myErr.Number == 1213 // deadlock (1205, lock wait timeout, does not roll back the transaction)
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		code := liteErr.Code() & 0xff
		return code == 5 || code == 6 // SQLITE_BUSY, SQLITE_LOCKED
	}
	return false
}
