package sql

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// column is one result column as the output describes it.
type column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Type families by the name the database gives a column's type (upper
// case). The driver's Go value decides the rest.
var (
	jsonTypes    = set("JSON", "JSONB")
	binaryTypes  = set("BYTEA", "BLOB", "BINARY", "VARBINARY", "TINYBLOB", "MEDIUMBLOB", "LONGBLOB", "BIT", "GEOMETRY")
	intTypes     = set("INT", "INTEGER", "TINYINT", "SMALLINT", "MEDIUMINT", "BIGINT", "INT2", "INT4", "INT8", "YEAR", "UNSIGNED INT", "UNSIGNED TINYINT", "UNSIGNED SMALLINT", "UNSIGNED MEDIUMINT", "UNSIGNED BIGINT")
	floatTypes   = set("FLOAT", "DOUBLE", "REAL", "FLOAT4", "FLOAT8", "DOUBLE PRECISION")
	decimalTypes = set("NUMERIC", "DECIMAL", "UNSIGNED DECIMAL", "MONEY")
	dateTypes    = set("DATE")
)

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// convert turns one value from the driver into the JSON value the output
// holds. Integers stay integers; decimals become strings (a float64 would
// lose digits); times RFC 3339 in UTC (dates YYYY-MM-DD); binary base64;
// JSON columns JSON; text that is not UTF-8 base64.
func convert(v any, dbType string) any {
	switch x := v.(type) {
	case nil:
		return nil
	case bool, int64, int32, int16, int8, int, uint64, uint32, uint16, uint8:
		return x
	case float64:
		if decimalTypes[dbType] {
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return finite(x)
	case float32:
		return finite(float64(x))
	case time.Time:
		if dateTypes[dbType] {
			return x.Format(time.DateOnly)
		}
		return x.UTC().Format(time.RFC3339Nano)
	case []byte:
		return convertText(x, dbType)
	case string:
		if jsonTypes[dbType] && json.Valid([]byte(x)) {
			return json.RawMessage(x)
		}
		return x
	case json.RawMessage:
		return x
	}
	// Drivers hand other types only for exotic columns; their JSON form
	// (or text) is the best guess.
	if b, err := json.Marshal(v); err == nil {
		return json.RawMessage(b)
	}
	return nil
}

// convertText reads a value that came as bytes: MySQL's text protocol
// sends every type this way, so the column type decides.
func convertText(b []byte, dbType string) any {
	s := string(b)
	switch {
	case binaryTypes[dbType]:
		return base64.StdEncoding.EncodeToString(b)
	case jsonTypes[dbType] && json.Valid(b):
		return json.RawMessage(append([]byte(nil), b...))
	case intTypes[dbType]:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return n
		}
	case floatTypes[dbType]:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return finite(f)
		}
	case decimalTypes[dbType]:
		return s
	}
	if !utf8.Valid(b) {
		return base64.StdEncoding.EncodeToString(b)
	}
	return s
}

// finite keeps NaN and ±Inf (which JSON cannot hold) as strings.
func finite(f float64) any {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return f
}

// typeName is the column type as the output reports it.
func typeName(dbType string) string {
	return strings.ToLower(dbType)
}
