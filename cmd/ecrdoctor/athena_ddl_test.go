package main

import (
	"strings"
	"testing"
)

func TestAthenaDDLExitCodes(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"valid", []string{"athena-ddl", "--bucket", "org-trail-logs", "--accounts", "111111111111"}, exitOK},
		{"no bucket", []string{"athena-ddl"}, exitUsage},
		{"bad bucket", []string{"athena-ddl", "--bucket", "Bad_Bucket"}, exitUsage},
		{"bad account", []string{"athena-ddl", "--bucket", "org-trail-logs", "--accounts", "1"}, exitUsage},
		{"stray argument", []string{"athena-ddl", "--bucket", "org-trail-logs", "extra"}, exitUsage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, "", tc.args...)
			if code != tc.want {
				t.Fatalf("exit %d, want %d (stderr: %s)", code, tc.want, stderr)
			}
			if tc.want != exitOK && stdout != "" {
				t.Errorf("a refused command printed a statement: %s", stdout)
			}
			if tc.want == exitOK && !strings.HasPrefix(stdout, "CREATE EXTERNAL TABLE") {
				t.Errorf("stdout is not the statement: %s", stdout)
			}
		})
	}
}
