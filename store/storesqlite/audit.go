package storesqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/weftworks/weft/store"
)

var _ store.Audit = (*Store)(nil)

// auditAnchorKey is the settings key holding "<seq> <hash>" of the last
// entry retention removed, so the chain still starts somewhere known.
const auditAnchorKey = "audit_anchor"

const auditCols = "seq, at, actor, source, action, target, detail, prev_hash, hash"

func scanAudit(sc scanner) (store.AuditEntry, error) {
	var e store.AuditEntry
	var at int64
	var detail string
	if err := sc.Scan(&e.Seq, &at, &e.Actor, &e.Source, &e.Action, &e.Target, &detail, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	e.Time = fromMicros(at)
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

// AppendAudit implements store.Audit. The writer is the only one, so
// reading the last entry and inserting the next cannot interleave.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) (store.AuditEntry, error) {
	err := s.do(ctx, func(w *writer, now time.Time) error {
		var last int64
		var prev string
		err := w.conn.QueryRowContext(w.ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&last, &prev)
		if errors.Is(err, sql.ErrNoRows) {
			var v string
			err = w.conn.QueryRowContext(w.ctx, "SELECT value FROM settings WHERE key = ?", auditAnchorKey).Scan(&v)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				err = nil
			case err == nil:
				last, prev, err = parseAnchor(v)
			}
		}
		if err != nil {
			return fmt.Errorf("reading the last entry: %w", err)
		}
		if e.Time.IsZero() {
			e.Time = now
		}
		e.Time = fromMicros(micros(e.Time))
		e.Seq, e.PrevHash = last+1, prev
		e.Hash = store.AuditHash(prev, e)
		_, err = w.conn.ExecContext(w.ctx, "INSERT INTO audit_log ("+auditCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			e.Seq, micros(e.Time), e.Actor, e.Source, e.Action, e.Target, string(e.Detail), e.PrevHash, e.Hash)
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
	if f.Actor != "" {
		where, args = append(where, "actor = ?"), append(args, f.Actor)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			where, args = append(where, "substr(action, 1, ?) = ?"), append(args, len(f.Action), f.Action)
		} else {
			where, args = append(where, "action = ?"), append(args, f.Action)
		}
	}
	if f.Target != "" {
		where, args = append(where, "target = ?"), append(args, f.Target)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, micros(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "at < ?"), append(args, micros(f.Until))
	}
	if f.Before > 0 {
		where, args = append(where, "seq < ?"), append(args, f.Before)
	}
	q := "SELECT " + auditCols + " FROM audit_log"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY seq DESC LIMIT ?"
	return s.auditRows(ctx, q, append(args, f.AuditLimit())...)
}

func (s *Store) auditRows(ctx context.Context, q string, args ...any) ([]store.AuditEntry, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
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
	return s.auditRows(ctx, "SELECT "+auditCols+" FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
}

// AuditAnchor implements store.Audit.
func (s *Store) AuditAnchor(ctx context.Context) (int64, string, error) {
	var v string
	err := s.rdb.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", auditAnchorKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("reading the audit anchor: %w", err)
	}
	return parseAnchor(v)
}

// PruneAudit implements store.Audit.
func (s *Store) PruneAudit(ctx context.Context, before time.Time, batch int) (int, error) {
	var n int64
	err := s.do(ctx, func(w *writer, _ time.Time) error {
		var last sql.NullInt64
		if err := w.conn.QueryRowContext(w.ctx, `SELECT MAX(seq) FROM (SELECT seq FROM audit_log
			WHERE seq < COALESCE((SELECT MIN(seq) FROM audit_log WHERE at >= ?), 9223372036854775807) ORDER BY seq LIMIT ?)`, micros(before), batch).Scan(&last); err != nil {
			return err
		}
		if !last.Valid {
			return nil
		}
		// Only a prefix of the chain goes: an old entry after a newer one
		// (clock skew between processes) waits for its turn.
		var hash string
		if err := w.conn.QueryRowContext(w.ctx, "SELECT hash FROM audit_log WHERE seq = ?", last.Int64).Scan(&hash); err != nil {
			return err
		}
		res, err := w.conn.ExecContext(w.ctx, "DELETE FROM audit_log WHERE seq <= ?", last.Int64)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		_, err = w.conn.ExecContext(w.ctx, "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
			auditAnchorKey, fmt.Sprintf("%d %s", last.Int64, hash))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("pruning the audit trail: %w", err)
	}
	return int(n), nil
}
