package logbound

import (
	"strconv"
	"unicode/utf8"
)

// MaxString is how much of an untrusted string is kept by default.
const MaxString = 256

// Clip returns s cut to at most max bytes (on a UTF-8 boundary) with a
// marker saying how much was dropped, or s itself when it fits.
func Clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…[" + strconv.Itoa(len(s)-cut) + " more bytes]"
}
