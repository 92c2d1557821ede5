package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// seedTrail is a trail file holding the seed failure: the replication role
// denied ecr:ReplicateImage on 222222222222's my-repo.
const seedTrail = `{"Records":[{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForECRReplication/ECRReplication","accountId":"111111111111"},"eventTime":"2024-05-01T10:00:00Z","eventSource":"ecr.amazonaws.com","eventName":"ReplicateImage","awsRegion":"ap-northeast-1","errorCode":"AccessDenied","errorMessage":"User: arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForECRReplication/ECRReplication is not authorized to perform: ecr:ReplicateImage on resource: arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo because no resource-based policy allows the ecr:ReplicateImage action","requestParameters":{"registryId":"222222222222","repositoryName":"my-repo"},"eventID":"e1","recipientAccountId":"111111111111"}]}`

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEventsExitCodes(t *testing.T) {
	seed := writeTemp(t, "seed.json", seedTrail)
	empty := writeTemp(t, "empty.json", `{"Records":[]}`)
	broken := writeTemp(t, "broken.json", `{"Records":[{"eventVersion":"1.08","eventName":"ReplicateImage","errorCode`)
	cases := []struct {
		name  string
		stdin string
		args  []string
		want  int
	}{
		{"failure found", "", []string{"events", seed}, exitFindings},
		{"failure found, flags after the path", "", []string{"events", seed, "--repo", "my-repo", "-o", "json"}, exitFindings},
		{"other repository: nothing found", "", []string{"events", seed, "--repo", "my-repo-legacy"}, exitOK},
		{"no failure", "", []string{"events", empty}, exitOK},
		{"stdin", seedTrail, []string{"events", "-"}, exitFindings},
		{"a file not read to its end is exit 3, whatever the others hold", "", []string{"events", broken, seed}, exitInput},
		{"bad file with --strict", "", []string{"events", "--strict", seed, broken}, exitInput},
		{"missing file", "", []string{"events", "/no/such/trail.json"}, exitInput},
		{"no path", "", []string{"events"}, exitUsage},
		{"--all with --any", "", []string{"events", seed, "--all", "--any"}, exitUsage},
		{"bad --since", "", []string{"events", seed, "--since", "last tuesday"}, exitUsage},
		{"bad --output", "", []string{"events", seed, "--output", "yaml"}, exitUsage},
		{"negative --limit", "", []string{"events", seed, "--limit", "-1"}, exitUsage},
		{"unknown flag after the path", "", []string{"events", seed, "--nope"}, exitUsage},
		{"flag without value", "", []string{"events", seed, "--repo"}, exitUsage},
		{"negative workers", "", []string{"events", seed, "--workers", "-1"}, exitUsage},
		{"delivery margin without a unit", "", []string{"events", seed, "--delivery-margin", "5"}, exitUsage},
		{"delivery margin widened", "", []string{"events", seed, "--delivery-margin", "24h"}, exitFindings},
		{"empty folder", "", []string{"events", t.TempDir()}, exitInput},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, tc.stdin, tc.args...)
			if code != tc.want {
				t.Fatalf("exit code = %d, want %d (stderr: %s)", code, tc.want, stderr)
			}
		})
	}
}

func TestEventsJSONHasNoNullLists(t *testing.T) {
	empty := writeTemp(t, "empty.json", `{"Records":[]}`)
	code, stdout, _ := run(t, "", "events", empty, "--output", "json")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["format_version"] != "1" || doc["events"] == nil || doc["warnings"] == nil {
		t.Fatalf("want format_version 1 and empty (not null) lists: %s", stdout)
	}
}

// TestRunEventsWithoutFlags: the run function takes Options, no command line.
func TestRunEventsWithoutFlags(t *testing.T) {
	var out, errb bytes.Buffer
	s := IO{In: strings.NewReader(seedTrail), Out: &out, Err: &errb}
	err := runEvents(context.Background(), s, eventsOptions{Paths: []string{"-"}, Output: "text", Trail: trail.Options{Repository: "my-repo"}})
	if code := exitCode(err, &errb); code != exitFindings {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "implicit: no resource-based policy allows") {
		t.Fatalf("stdout: %s", out.String())
	}
}

// TestRunEventsProgressFollowsIO: whether a progress line is drawn is a fact
// of the IO the run is given (stderr a terminal), not of the process: a
// terminal gets the line (erased at the end), a pipe or file never does.
func TestRunEventsProgressFollowsIO(t *testing.T) {
	for _, tc := range []struct {
		name     string
		terminal bool
	}{{"stderr a terminal", true}, {"stderr a pipe", false}} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			s := IO{In: strings.NewReader(seedTrail), Out: &out, Err: &errb, ErrTerminal: tc.terminal}
			err := runEvents(context.Background(), s, eventsOptions{Paths: []string{"-"}, Output: "text"})
			if code := exitCode(err, &errb); code != exitFindings {
				t.Fatalf("exit %d, stderr %q", code, errb.String())
			}
			if drawn := strings.Contains(errb.String(), "\r\033[K"); drawn != tc.terminal {
				t.Fatalf("progress drawn = %v, want %v; stderr %q", drawn, tc.terminal, errb.String())
			}
		})
	}
}

// TestEventsJSONStaysValid: streamed JSON is one valid document whatever
// happens: events then a --strict stop (the document closes with "error"),
// no events at all, and JSON lines are one valid event per line.
func TestEventsJSONStaysValid(t *testing.T) {
	seed := writeTemp(t, "a-seed.json", seedTrail)
	broken := writeTemp(t, "b-broken.json", `{"Records":[{"eventVersion":"1.08","eventName":"ReplicateImage","errorCode`)
	empty := writeTemp(t, "empty.json", `{"Records":[]}`)
	cases := []struct {
		name string
		args []string
		want int
		key  string
	}{
		{"events, then a strict stop", []string{"events", "--strict", "--workers", "1", seed, broken, "-o", "json"}, exitInput, `"error": "events: `},
		{"no events", []string{"events", empty, "-o", "json"}, exitOK, `"events": []`},
		{"events", []string{"events", seed, "-o", "json"}, exitFindings, `"incomplete_files": []`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := run(t, "", tc.args...)
			if code != tc.want || !json.Valid([]byte(stdout)) || !strings.Contains(stdout, tc.key) {
				t.Fatalf("exit %d (want %d), valid %v, want %q in:\n%s\nstderr: %s", code, tc.want, json.Valid([]byte(stdout)), tc.key, stdout, stderr)
			}
		})
	}
	code, stdout, _ := run(t, "", "events", seed, seed, "-o", "jsonl")
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if code != exitFindings || len(lines) != 1 || !json.Valid([]byte(lines[0])) {
		t.Fatalf("jsonl: exit %d, %d lines (one event, repeated in two files, is one line):\n%s", code, len(lines), stdout)
	}
}
