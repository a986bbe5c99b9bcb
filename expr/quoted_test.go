package expr

import (
	"testing"
	"unicode/utf8"
)

// quotedLen counts as a comparison per case does: every ASCII byte alone
// and among others, multi-byte text and invalid UTF-8.
func TestQuotedLenCountsEscapes(t *testing.T) {
	t.Parallel()
	want := func(s string) int {
		n := len(s) + 2
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case c < 0x20, c == '<', c == '>', c == '&':
				n += 5
			case c == '"', c == '\\':
				n++
			case c >= utf8.RuneSelf:
				r, size := utf8.DecodeRuneInString(s[i:])
				if r == utf8.RuneError && size == 1 {
					n += 5
				}
				i += size - 1
			}
		}
		return n
	}
	var inputs []string
	for c := range 256 {
		inputs = append(inputs, string([]byte{byte(c)}), "ab"+string([]byte{byte(c)})+"cd")
	}
	inputs = append(inputs, "", "héllo wörld", "<a href=\"x\">&amp;</a>\n\t\\", "\xff\xfe", "日本語\x00", "\u2028")
	for _, s := range inputs {
		if got, w := quotedLen(s, 1<<20), want(s); got != w {
			t.Errorf("quotedLen(%q) = %d, want %d", s, got, w)
		}
	}
}
