package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWhyExitCodes pins the exit code a runbook or ticket bot branches on:
// 0 healthy (or only warnings/info), 1 a finding of severity error.
func TestWhyExitCodes(t *testing.T) {
	want := map[string]int{
		"seed-grant-in-repository-policy": exitFindings,
		"hand-made":                       exitFindings,
		"healthy":                         exitOK,
		"stale-failures":                  exitOK,
		"delete-replication-enabled":      exitOK,
		"condition-unknown":               exitOK,
		"destination-unreadable":          exitOK,
		"replication-not-configured":      exitFindings,
		"filter-does-not-match":           exitFindings,
		"destination-is-source":           exitFindings,
		"registry-policy-missing":         exitFindings,
		"registry-policy-in-other-region": exitFindings,
		"principal-mismatch":              exitFindings,
		"resource-mismatch":               exitFindings,
		"action-not-granted":              exitFindings,
		"create-repository-not-allowed":   exitFindings,
		"explicit-deny":                   exitFindings,
		"condition-not-satisfied":         exitFindings,
		"replicate-image-denied":          exitFindings,
		"multiple-faults":                 exitFindings,
	}
	dirs, _ := filepath.Glob(filepath.Join("..", "..", "fixtures", "*"))
	seen := 0
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		name := filepath.Base(dir)
		if name == "terraform" { // configurations for lint, not snapshots
			continue
		}
		code, ok := want[name]
		if !ok {
			t.Errorf("fixture %s has no expected exit code in this test", name)
			continue
		}
		seen++
		t.Run(name, func(t *testing.T) {
			got, stdout, stderr := run(t, "", "why", "--repo", "my-repo", "--snapshot", dir, "--output", "json")
			if got != code {
				t.Fatalf("exit code = %d, want %d\nstderr: %s", got, code, stderr)
			}
			var r struct {
				Verdict string `json:"verdict"`
			}
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("stdout is not JSON: %v", err)
			}
			if (r.Verdict == "failing") != (code == exitFindings) {
				t.Errorf("verdict %q does not agree with exit code %d", r.Verdict, code)
			}
		})
	}
	if seen != len(want) {
		t.Errorf("ran %d fixtures, want %d", seen, len(want))
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
