package sql_test

import (
	"encoding/json"
	"testing"

	sqlstep "github.com/weftworks/weft/connectors/sql"
)

// typeCase is a column and the JSON it must become.
type typeCase struct {
	col  string
	want string // the value's JSON
}

func checkTypes(t *testing.T, b *bundle, sql string, cases []typeCase) {
	t.Helper()
	out, err := b.run(t, sqlstep.TypeQuery, map[string]any{"credential": "db", "sql": sql})
	if err != nil {
		t.Fatal(err)
	}
	row := rows(t, out)[0]
	for _, c := range cases {
		got, _ := json.Marshal(row[c.col])
		if string(got) != c.want {
			t.Errorf("column %s = %s, want %s", c.col, got, c.want)
		}
	}
}

// TestIntegrationPostgresTypes: ints stay ints (beyond 2^53 too), numerics
// keep every digit as strings, timestamps are RFC 3339, bytea base64, jsonb
// JSON, NULL null.
func TestIntegrationPostgresTypes(t *testing.T) {
	t.Parallel()
	b := setup(t, sqlstep.Config{})
	b.add("db", "postgres", map[string]string{"url": postgresURL(t)})
	checkTypes(t, b, `SELECT 7::int4 AS i, 9007199254740993::int8 AS big, 12345678901234567890.123456789::numeric AS n,
		1.5::float8 AS f, true AS b, 'héllo'::text AS s, '2024-05-06T07:08:09.5+02:00'::timestamptz AS ts,
		'2024-05-06'::date AS d, '\x0102ff'::bytea AS by, '{"a": [1, 2]}'::jsonb AS j, NULL::text AS nul,
		'11111111-2222-3333-4444-555555555555'::uuid AS u`, []typeCase{
		{"i", "7"}, {"big", "9007199254740993"}, {"n", `"12345678901234567890.123456789"`}, {"f", "1.5"}, {"b", "true"},
		{"s", `"héllo"`}, {"ts", `"2024-05-06T05:08:09.5Z"`}, {"d", `"2024-05-06"`}, {"by", `"AQL/"`},
		{"j", `{"a":[1,2]}`}, {"nul", "null"}, {"u", `"11111111-2222-3333-4444-555555555555"`},
	})
}

func TestIntegrationMySQLTypes(t *testing.T) {
	t.Parallel()
	b := setup(t, sqlstep.Config{})
	b.add("db", "mysql", mysqlCred(t))
	// Text protocol (no parameters) and binary protocol (with one) must
	// agree.
	for _, param := range []bool{false, true} {
		sql := `SELECT CAST(7 AS SIGNED) AS i, 9007199254740993 AS big, CAST(12345678901234567890.123456789 AS DECIMAL(40,9)) AS n,
			CAST(1.5 AS DOUBLE) AS f, 'héllo' AS s, TIMESTAMP('2024-05-06 07:08:09.5') AS ts, DATE('2024-05-06') AS d,
			CAST(X'0102FF' AS BINARY) AS bin, NULL AS nul`
		var params []any
		if param {
			sql += ", ? AS p"
			params = []any{"x"}
		}
		out, err := b.run(t, sqlstep.TypeQuery, map[string]any{"credential": "db", "sql": sql, "params": params})
		if err != nil {
			t.Fatal(err)
		}
		row := rows(t, out)[0]
		for _, c := range []typeCase{{"i", "7"}, {"big", "9007199254740993"}, {"n", `"12345678901234567890.123456789"`}, {"f", "1.5"},
			{"s", `"héllo"`}, {"ts", `"2024-05-06T07:08:09.5Z"`}, {"d", `"2024-05-06"`}, {"bin", `"AQL/"`}, {"nul", "null"}} {
			got, _ := json.Marshal(row[c.col])
			if string(got) != c.want {
				t.Errorf("params=%v: column %s = %s, want %s", param, c.col, got, c.want)
			}
		}
	}
}

func TestSQLiteTypes(t *testing.T) {
	t.Parallel()
	b := setup(t, sqlstep.Config{SQLiteDir: t.TempDir()})
	b.add("db", "sqlite", map[string]string{"path": "types.db"})
	if _, err := b.run(t, sqlstep.TypeExec, map[string]any{"credential": "db",
		"sql": "CREATE TABLE t (i INTEGER, f REAL, s TEXT, bl BLOB, n NUMERIC, nul TEXT)"}); err != nil {
		t.Fatal(err)
	}
	// A number past 2^53 is passed as a string: expressions hold numbers
	// as float64; the column's type turns it back into an integer.
	if _, err := b.run(t, sqlstep.TypeExec, map[string]any{"credential": "db",
		"sql": "INSERT INTO t VALUES (?, ?, ?, X'0102FF', ?, NULL)", "params": []any{"9007199254740993", 1.5, "héllo", "12.50"}}); err != nil {
		t.Fatal(err)
	}
	checkTypes(t, b, "SELECT * FROM t", []typeCase{
		{"i", "9007199254740993"}, {"f", "1.5"}, {"s", `"héllo"`}, {"bl", `"AQL/"`}, {"nul", "null"},
	})
}
