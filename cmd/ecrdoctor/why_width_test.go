package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ecrdoctor/ecrdoctor/fixtures"
)

// TestWhyWrapsToColumns: the text report wraps to COLUMNS, as a user who
// sets it (or a terminal that does) expects; the seed case's evidence
// (file paths, CloudTrail messages) ran past 100 columns before.
func TestWhyWrapsToColumns(t *testing.T) {
	seed := filepath.Join(fixtures.Dir(), "seed-grant-in-repository-policy")
	lines := map[int]int{}
	for _, width := range []int{80, 100, 120} {
		t.Setenv("COLUMNS", strconv.Itoa(width))
		code, out, errOut := run(t, "", "why", "--repo", "my-repo", "--snapshot", seed)
		if code != exitFindings {
			t.Fatalf("exit %d, want %d: %s", code, exitFindings, errOut)
		}
		for _, l := range strings.Split(out, "\n") {
			if utf8.RuneCountInString(l) > width {
				t.Errorf("COLUMNS=%d: a line of %d columns: %s", width, utf8.RuneCountInString(l), l)
			}
		}
		lines[width] = strings.Count(out, "\n")
	}
	if !(lines[80] > lines[100] && lines[100] > lines[120]) {
		t.Errorf("lines at 80, 100, 120 columns: %d, %d, %d: a wider screen should take fewer", lines[80], lines[100], lines[120])
	}
}

// TestWhyVerbose: --verbose gives the long report: every item of evidence
// and the policy in the aws command itself.
func TestWhyVerbose(t *testing.T) {
	snap := filepath.Join(fixtures.Dir(), "multiple-faults")
	_, short, _ := run(t, "", "why", "--repo", "my-repo", "--snapshot", snap)
	code, long, errOut := run(t, "", "why", "--repo", "my-repo", "--snapshot", snap, "--verbose")
	if code != exitFindings {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(short, "and 2 more") || strings.Contains(long, "and 2 more") {
		t.Errorf("the evidence is not cut by default, or is with --verbose")
	}
	if !strings.Contains(long, "--policy-text '{") {
		t.Errorf("--verbose does not show the aws command with the policy in it:\n%s", long)
	}
}
