package storepg

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/weftworks/weft/store"
)

var _ store.Audit = (*Store)(nil)

// auditAnchorKey is the settings key holding "<seq> <hash>" of the last
// entry retention removed, so the chain still starts somewhere known.
const auditAnchorKey = "audit_anchor"

// auditLock is the advisory lock key that serializes appends across
// processes: each entry needs the hash of the one before.
const auditLock = 0x77656674_61756474 // "weftaudt"

const auditCols = "seq, at, actor, source, action, target, detail, prev_hash, hash"

func scanAudit(row pgx.Row) (store.AuditEntry, error) {
	var e store.AuditEntry
	var detail string
	if err := row.Scan(&e.Seq, &e.Time, &e.Actor, &e.Source, &e.Action, &e.Target, &detail, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	e.Time = e.Time.UTC()
	if detail != "" {
		e.Detail = []byte(detail)
	}
	return e, nil
}

func parseAnchor(v string) (int64, string, error) {
	seq, hash, ok := strings.Cut(v, " ")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || err != nil {
		return 0, "", fmt.Errorf("audit anchor %q is not \"<seq> <hash>\"", v)
	}
	return n, hash, nil
}

func lastAudit(ctx context.Context, tx pgx.Tx) (int64, string, error) {
	var last int64
	var prev string
	err := tx.QueryRow(ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&last, &prev)
	if !errors.Is(err, pgx.ErrNoRows) {
		return last, prev, err
	}
	var v string
	err = tx.QueryRow(ctx, "SELECT value FROM settings WHERE key = $1", auditAnchorKey).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", err
	}
	return parseAnchor(v)
}

// AppendAudit implements store.Audit.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) (store.AuditEntry, error) {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(auditLock)); err != nil {
			return fmt.Errorf("locking the audit trail: %w", err)
		}
		last, prev, err := lastAudit(ctx, tx)
		if err != nil {
			return fmt.Errorf("reading the last entry: %w", err)
		}
		if e.Time.IsZero() {
			e.Time = time.Now()
		}
		e.Time = ts(e.Time).UTC()
		e.Seq, e.PrevHash = last+1, prev
		e.Hash = store.AuditHash(prev, e)
		_, err = tx.Exec(ctx, "INSERT INTO audit_log ("+auditCols+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
			e.Seq, e.Time, e.Actor, e.Source, e.Action, e.Target, string(e.Detail), e.PrevHash, e.Hash)
		return err
	})
	if err != nil {
		return store.AuditEntry{}, fmt.Errorf("appending audit entry %s: %w", e.Action, err)
	}
	return e, nil
}

// ListAudit implements store.Audit.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	var where []string
	var args []any
	arg := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.Actor != "" {
		arg("actor = ?", f.Actor)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			arg("starts_with(action, ?)", f.Action)
		} else {
			arg("action = ?", f.Action)
		}
	}
	if f.Target != "" {
		arg("target = ?", f.Target)
	}
	if !f.Since.IsZero() {
		arg("at >= ?", ts(f.Since))
	}
	if !f.Until.IsZero() {
		arg("at < ?", ts(f.Until))
	}
	if f.Before > 0 {
		arg("seq < ?", f.Before)
	}
	q := "SELECT " + auditCols + " FROM audit_log"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, f.AuditLimit())
	q += " ORDER BY seq DESC LIMIT $" + strconv.Itoa(len(args))
	return s.auditRows(ctx, q, args...)
}

func (s *Store) auditRows(ctx context.Context, q string, args ...any) ([]store.AuditEntry, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading the audit trail: %w", err)
	}
	defer rows.Close()
	var out []store.AuditEntry
	for rows.Next() {
		e, err := scanAudit(rows)
		if err != nil {
			return nil, fmt.Errorf("reading the audit trail: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// AuditChain implements store.Audit.
func (s *Store) AuditChain(ctx context.Context, after int64, limit int) ([]store.AuditEntry, error) {
	return s.auditRows(ctx, "SELECT "+auditCols+" FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2", after, limit)
}

// AuditAnchor implements store.Audit.
func (s *Store) AuditAnchor(ctx context.Context) (int64, string, error) {
	var v string
	err := s.pool.QueryRow(ctx, "SELECT value FROM settings WHERE key = $1", auditAnchorKey).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("reading the audit anchor: %w", err)
	}
	return parseAnchor(v)
}

// PruneAudit implements store.Audit. Only a prefix of the chain goes: an
// old entry after a newer one (clock skew between processes) waits.
func (s *Store) PruneAudit(ctx context.Context, before time.Time, batch int) (int, error) {
	var n int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(auditLock)); err != nil {
			return err
		}
		var last *int64
		if err := tx.QueryRow(ctx, `SELECT MAX(seq) FROM (SELECT seq FROM audit_log
			WHERE seq < COALESCE((SELECT MIN(seq) FROM audit_log WHERE at >= $1), 9223372036854775807) ORDER BY seq LIMIT $2) p`, ts(before), batch).Scan(&last); err != nil {
			return err
		}
		if last == nil {
			return nil
		}
		var hash string
		if err := tx.QueryRow(ctx, "SELECT hash FROM audit_log WHERE seq = $1", *last).Scan(&hash); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "DELETE FROM audit_log WHERE seq <= $1", *last)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		_, err = tx.Exec(ctx, "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
			auditAnchorKey, fmt.Sprintf("%d %s", *last, hash))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("pruning the audit trail: %w", err)
	}
	return int(n), nil
}
