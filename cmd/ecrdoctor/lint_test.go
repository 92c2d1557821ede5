package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLintExitCodes: 0 clean, 1 an error finding, 2 usage, 3 nothing read.
func TestLintExitCodes(t *testing.T) {
	fx := filepath.Join("..", "..", "fixtures", "terraform")
	empty := t.TempDir()
	policy := filepath.Join(t.TempDir(), "my-repo.json")
	if err := os.WriteFile(policy, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"111111111111"},"Action":"ecr:BatchGetImage","Resource":"*"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want int
		out  string
	}{
		{"clean", []string{"lint", filepath.Join(fx, "seed-published")}, exitOK, "0 errors"},
		{"info only", []string{"lint", filepath.Join(fx, "destination-not-in-configuration")}, exitOK, "DESTINATION_NOT_IN_CONFIGURATION"},
		{"warning only", []string{"lint", filepath.Join(fx, "create-repository-not-allowed")}, exitOK, "warning CREATE_REPOSITORY_NOT_ALLOWED"},
		{"error", []string{"lint", filepath.Join(fx, "explicit-deny")}, exitFindings, "error EXPLICIT_DENY"},
		{"plan", []string{"lint", filepath.Join(fx, "principal-mismatch", "plan.json")}, exitFindings, "error PRINCIPAL_MISMATCH"},
		{"repository policy file", []string{"lint", "--policy-kind", "repository", policy}, exitFindings, "error REPOSITORY_POLICY_HAS_RESOURCE"},
		{"bad output", []string{"lint", "--output", "yaml"}, exitUsage, ""},
		{"bad policy kind", []string{"lint", "--policy-kind", "account", policy}, exitUsage, ""},
		{"policy kind without file", []string{"lint", "--policy-kind", "registry"}, exitUsage, ""},
		{"missing path", []string{"lint", filepath.Join(empty, "nope")}, exitUsage, ""},
		{"nothing to read", []string{"lint", empty}, exitInput, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := run(t, "", c.args...)
			if code != c.want {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.want, stdout, stderr)
			}
			if !strings.Contains(stdout, c.out) {
				t.Errorf("stdout lacks %q:\n%s", c.out, stdout)
			}
			if c.want >= exitUsage && !strings.Contains(stderr, "ecrdoctor: lint:") {
				t.Errorf("stderr does not explain: %q", stderr)
			}
		})
	}
}
