package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/fixtures"
)

// TestWhyExitCodes pins the exit code a runbook or ticket bot branches on,
// for every fixture as its expect.json states it: 0 healthy (or only
// warnings/info), 1 a finding of severity error.
func TestWhyExitCodes(t *testing.T) {
	list, err := fixtures.Snapshots()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range list {
		t.Run(x.Name, func(t *testing.T) {
			got, stdout, stderr := run(t, "", "why", "--repo", x.Repository, "--snapshot", x.Dir, "--output", "json")
			if got != x.Exit {
				t.Fatalf("exit code = %d, want %d\nstderr: %s", got, x.Exit, stderr)
			}
			var r struct {
				Verdict string `json:"verdict"`
			}
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("stdout is not JSON: %v", err)
			}
			if r.Verdict != x.Verdict {
				t.Errorf("verdict %q, want %q", r.Verdict, x.Verdict)
			}
		})
	}
}

func TestWhyUsageAndInputErrors(t *testing.T) {
	seed := filepath.Join("..", "..", "fixtures", "seed-grant-in-repository-policy")
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"missing repo", []string{"why", "--snapshot", seed}, exitUsage, "--repo is required"},
		{"bad output", []string{"why", "--repo", "my-repo", "--snapshot", seed, "-o", "xml"}, exitUsage, "--output"},
		{"bad source account", []string{"why", "--repo", "my-repo", "--snapshot", seed, "--source-account", "12"}, exitUsage, "12-digit"},
		{"unknown flag", []string{"why", "--repo", "my-repo", "--bogus"}, exitUsage, "bogus"},
		{"missing snapshot", []string{"why", "--repo", "my-repo", "--snapshot", filepath.Join(t.TempDir(), "nope")}, exitInput, "nope"},
		{"not a snapshot", []string{"why", "--repo", "my-repo", "--snapshot", t.TempDir()}, exitInput, "not a snapshot"},
		{"repository in no source of a scan capture", []string{"why", "--repo", "nope/nothing", "--snapshot", filepath.Join("..", "..", "fixtures", "organization")}, exitUsage, `none of them has a repository named "nope/nothing"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, "", tc.args...)
			if code != tc.code {
				t.Fatalf("exit code = %d, want %d (stderr %q)", code, tc.code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout is not empty on error: %q", stdout)
			}
			if !strings.Contains(stderr, tc.msg) {
				t.Errorf("stderr %q does not mention %q", stderr, tc.msg)
			}
		})
	}
}
