package main

import (
	"strings"
	"testing"
)

// TestUsageErrorsNameCommandAndFlag: a wrong command line is exit 2 with a
// message that names the command and the flag as it is typed (with its
// dashes), suggests the nearest command or flag, and says that a duration
// needs a unit.
func TestUsageErrorsNameCommandAndFlag(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"mistyped command", []string{"wyh", "--repo", "x"}, `ecrdoctor: unknown command "wyh": did you mean "why"?`},
		{"another mistyped command", []string{"evnts", "x.json"}, `did you mean "events"?`},
		{"mistyped flag", []string{"why", "--rpo", "x"}, "ecrdoctor: why: unknown flag --rpo: did you mean --repo? (run 'ecrdoctor why --help' for its flags)"},
		{"flag cut short", []string{"why", "--snap", "x"}, "why: unknown flag --snap: did you mean --snapshot?"},
		{"mistyped flag of simulate", []string{"simulate", "--polcy", "p.json"}, "simulate: unknown flag --polcy: did you mean --policy?"},
		{"flag with no near name", []string{"why", "--zzzzzz"}, "why: unknown flag --zzzzzz (run 'ecrdoctor why --help' for its flags)"},
		{"unknown flag before the command", []string{"--frob"}, "ecrdoctor: unknown flag --frob (run 'ecrdoctor --help' for its flags)"},
		{"flag without its value", []string{"why", "--repo"}, "why: --repo needs a value (--repo NAME)"},
		{"one dash", []string{"snapshot", "-out"}, "snapshot: --out needs a value (--out DIR)"},
		{"short flag without its value", []string{"why", "-o"}, "why: -o needs a value (--output FORMAT)"},
		{"duration without a unit", []string{"why", "--repo", "my-repo", "--timeout", "5"}, "why: --timeout 5: a duration needs a unit, e.g. 5s, 5m or 5h"},
		{"duration without a unit, events", []string{"events", "s3://b/p", "--timeout", "30"}, "events: --timeout 30: a duration needs a unit"},
		{"not a duration", []string{"why", "--repo", "my-repo", "--request-timeout", "soon"}, `why: --request-timeout "soon": not a duration`},
		{"not a number", []string{"why", "--repo", "my-repo", "--max-events", "abc"}, `why: --max-events "abc": not a whole number`},
		{"not a boolean", []string{"why", "--repo", "my-repo", "--verbose=maybe"}, "why: --verbose=maybe: must be true or false"},
		{"stdin twice", []string{"events", "-", "-"}, "events: PATH - (stdin) is given more than once"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, "", tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d (usage)", code, exitUsage)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr = %q, want it to say %q", stderr, tc.stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}
