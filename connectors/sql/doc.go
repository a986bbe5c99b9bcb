// Package sql provides the sql.query and sql.exec steps: parameterised SQL
// against PostgreSQL (pgx), MySQL/MariaDB (go-sql-driver/mysql) and SQLite
// files (modernc.org/sqlite), through database credentials in the vault.
//
// The SQL text is written out in the workflow (validation refuses `{{ }}`
// in it); values come in as driver parameters, so an expression can never
// change what a statement does. Results are bounded (rows, bytes, time) and
// converted to JSON with their types kept. Each credential gets its own
// bounded connection pool, rebuilt when the credential changes and closed
// with the Service. Network connections are opened through the connection's
// dialer (step.Connections.Dialer): the SSRF guard and the credential's
// allowed hosts apply to databases exactly as to HTTP. SQLite files are
// opened only under the directory the operator allows.
package sql
