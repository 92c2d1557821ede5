package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/fixtures"
)

// TestScanExitCodes pins the exit code of `ecrdoctor scan` on every
// whole-registry fixture, as its expect.json states it, and the verdict
// the JSON carries.
func TestScanExitCodes(t *testing.T) {
	list, err := fixtures.Scans()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range list {
		t.Run(x.Name, func(t *testing.T) {
			got, stdout, stderr := run(t, "", "scan", "--snapshot", x.Dir, "--output", "json")
			if got != x.Scan.Exit {
				t.Fatalf("exit code = %d, want %d\nstderr: %s", got, x.Scan.Exit, stderr)
			}
			var r struct {
				Verdict string `json:"verdict"`
				Pairs   []any  `json:"pairs"`
			}
			if err := json.Unmarshal([]byte(stdout), &r); err != nil {
				t.Fatalf("stdout is not JSON: %v", err)
			}
			if r.Verdict != x.Scan.Verdict || len(r.Pairs) != len(x.Scan.Pairs) {
				t.Errorf("verdict %q with %d pairs, want %q with %d", r.Verdict, len(r.Pairs), x.Scan.Verdict, len(x.Scan.Pairs))
			}
		})
	}
}

// copyFixture copies fixtures/<name> into a temporary folder to be varied.
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join(fixtures.Dir(), name)
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// deny replaces a call of the snapshot folder dir by an AccessDenied error.
func deny(t *testing.T, dir, account, region, call string) {
	t.Helper()
	base := filepath.Join(dir, account, region, filepath.FromSlash(call))
	if err := os.Remove(base + ".json"); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	msg := `{"Error":{"Code":"AccessDeniedException","Message":"User: arn:aws:sts::` + account + `:assumed-role/EcrdoctorRead/x is not authorized to perform: ` + call + `"}}`
	if err := os.WriteFile(base+".error.json", []byte(msg), 0o644); err != nil {
		t.Fatal(err)
	}
}

type scanJSON struct {
	Verdict string `json:"verdict"`
	Sources []struct {
		Account, Region string
		Readable        bool `json:"readable"`
	} `json:"sources"`
	Pairs []struct {
		Repository  string `json:"repository"`
		Destination struct{ Account, Region string }
		Verdict     string `json:"verdict"`
	} `json:"pairs"`
	Warnings []string `json:"warnings"`
}

func scanOf(t *testing.T, stdout string) scanJSON {
	t.Helper()
	var r scanJSON
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	return r
}

// A destination that could not be read makes its cells unknown, never
// healthy: the organization with dr/us-east-1's registry policy refused
// turns its healthy pairs (web/*, api/users) into unknown ones.
func TestScanUnreadableDestination(t *testing.T) {
	dir := copyFixture(t, "organization")
	deny(t, dir, "333333333333", "us-east-1", "get-registry-policy")
	code, stdout, stderr := run(t, "", "scan", "--snapshot", dir, "--output", "json")
	if code != exitFindings {
		t.Fatalf("exit %d, want %d (other pairs still fail)\n%s", code, exitFindings, stderr)
	}
	r := scanOf(t, stdout)
	n := 0
	for _, p := range r.Pairs {
		if p.Destination.Account == "333333333333" && p.Destination.Region == "us-east-1" && strings.HasPrefix(p.Repository, "web/") {
			n++
			if p.Verdict != "unknown" {
				t.Errorf("%s -> 333333333333/us-east-1: %s with its registry policy unread, want unknown", p.Repository, p.Verdict)
			}
		}
	}
	if n != 3 {
		t.Errorf("%d web/ pairs at 333333333333/us-east-1, want 3", n)
	}
}

// Exit 3 when no source registry could be read at all (the report still
// says why); one readable source is a partial read: a warning, and the
// exit status of its pairs.
func TestScanExitWhenSourcesUnreadable(t *testing.T) {
	dir := copyFixture(t, "organization")
	deny(t, dir, "222222222222", "eu-west-1", "describe-registry")
	code, stdout, stderr := run(t, "", "scan", "--snapshot", dir, "--output", "json")
	if code != exitFindings {
		t.Fatalf("one source unreadable: exit %d, want %d\n%s", code, exitFindings, stderr)
	}
	r := scanOf(t, stdout)
	if len(r.Sources) != 2 || r.Sources[1].Readable || !r.Sources[0].Readable {
		t.Errorf("sources %+v, want the first readable, the second not", r.Sources)
	}
	if !slices.ContainsFunc(r.Warnings, func(w string) bool {
		return strings.Contains(w, "source registry 222222222222/eu-west-1") && strings.Contains(w, "not checked")
	}) {
		t.Errorf("no warning names the unreadable source: %q", r.Warnings)
	}

	deny(t, dir, "111111111111", "ap-northeast-1", "describe-repositories")
	code, stdout, stderr = run(t, "", "scan", "--snapshot", dir)
	if code != exitInput {
		t.Fatalf("no source readable: exit %d, want %d\n%s", code, exitInput, stderr)
	}
	if !strings.Contains(stderr, "no source registry could be read") || !strings.Contains(stderr, "describe-repositories") {
		t.Errorf("stderr does not say why nothing was checked: %q", stderr)
	}
	if !strings.HasPrefix(stdout, "UNKNOWN: 0 of 0") {
		t.Errorf("the report does not say that nothing was checked:\n%s", stdout)
	}
}
