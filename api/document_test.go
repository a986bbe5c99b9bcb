package api

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSetEnabledKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, src string
		on        bool
		want      string // "" means: only check the result parses with the value
	}{
		{"replace value", "name: a\nenabled: true # keep\nsteps: []\n", false, "name: a\nenabled: false # keep\nsteps: []\n"},
		{"insert after name", "# c\nname: a\nsteps: []\n", false, "# c\nname: a\nenabled: false\nsteps: []\n"},
		{"insert at end without newline", "steps: []\nname: a", true, "steps: []\nname: a\nenabled: true\n"},
		{"quoted name", "name: \"a\"\nsteps: []\n", false, "name: \"a\"\nenabled: false\n" + "steps: []\n"},
		{"json insert", `{"name": "a", "steps": []}`, false, `{"enabled": false, "name": "a", "steps": []}`},
		{"json replace", `{"name": "a", "enabled": true}`, false, `{"name": "a", "enabled": false}`},
		{"unicode before value", "name: a\ndescription: ÆØÅ\nenabled: yes\n", false, ""},
		{"document start marker", "---\nname: a\nsteps: []\n", false, "---\nname: a\nenabled: false\nsteps: []\n"},
		{"no name: re-encoded", "steps: []\n", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := setEnabledKey([]byte(tc.src), tc.on)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != "" && string(out) != tc.want {
				t.Errorf("got\n%q\nwant\n%q", out, tc.want)
			}
			var v struct {
				Enabled *bool `yaml:"enabled"`
			}
			if err := yaml.Unmarshal(out, &v); err != nil || v.Enabled == nil || *v.Enabled != tc.on {
				t.Errorf("result %q does not read as enabled: %v (%v)", out, tc.on, err)
			}
		})
	}
	if _, err := setEnabledKey([]byte("- a\n"), true); err == nil || !strings.Contains(err.Error(), "mapping") {
		t.Errorf("a list document: %v", err)
	}
}

func TestLineCol(t *testing.T) {
	t.Parallel()
	src := []byte("ab\ncd\n")
	for off, want := range map[int64][2]int{0: {1, 1}, 1: {1, 2}, 3: {2, 1}, 4: {2, 2}, 99: {3, 1}} {
		l, c := lineCol(src, off)
		if l != want[0] || c != want[1] {
			t.Errorf("lineCol(%d) = %d:%d, want %d:%d", off, l, c, want[0], want[1])
		}
	}
}
