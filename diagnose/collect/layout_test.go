package collect

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// TestLayoutBothWays: every call of the layout maps to a path and back to
// the same call, for its output and its stored error.
func TestLayoutBothWays(t *testing.T) {
	dir := filepath.Join("snap")
	for _, name := range []string{
		DescribeRegistryFile, GetRegistryPolicyFile, DescribeRepositoriesFile, GetAccountSettingFile,
		RepositoryPolicyName("my-repo"), RepositoryPolicyName("team/app"),
		ReplicationStatusName("team/app", "v1.2"), ReplicationStatusName("my-repo", "sha256:9c1e"),
		LookupEventsPrefix, LookupEventsPrefix + "-2",
	} {
		c := Call{Account: "222222222222", Region: "ap-northeast-1", Name: name}
		for _, tc := range []struct {
			path   string
			failed bool
		}{{c.File(dir), false}, {c.ErrorFile(dir), true}} {
			rel, err := filepath.Rel(RegistryDir(dir, c.Account, c.Region), tc.path)
			if err != nil {
				t.Fatal(err)
			}
			got, failed, ok := parseCall(c.Account, c.Region, filepath.ToSlash(rel))
			if !ok || got != c || failed != tc.failed {
				t.Errorf("%s: parsed as %+v (failed %v, ok %v), want %+v (failed %v)", tc.path, got, failed, ok, c, tc.failed)
			}
		}
	}
}

// TestLoadLiveNamesCalls: a live run's reads, its CloudTrail events and its
// warnings are named by the AWS calls, never by the temporary folder they
// were captured into (which is gone when the report is read).
func TestLoadLiveNamesCalls(t *testing.T) {
	dir := filepath.Join("..", "..", "fixtures", "seed-grant-in-repository-policy")
	snap, err := LoadDir(context.Background(), dir, LoadOptions{Live: true})
	if err != nil {
		t.Fatal(err)
	}
	dst := snap.Registries[diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}]
	for got, want := range map[string]string{
		dst.RegistryPolicy.Source.String():                "aws ecr get-registry-policy (222222222222, ap-northeast-1)",
		dst.RepositoryPolicies["my-repo"].Source.String(): "aws ecr get-repository-policy my-repo (222222222222, ap-northeast-1)",
	} {
		if got != want {
			t.Errorf("source %q, want %q", got, want)
		}
	}
	// Typed: the call and registry, and no file (it is temporary).
	if got, want := dst.RegistryPolicy.Source, (diagnose.Source{Call: "ecr get-registry-policy", Account: "222222222222", Region: "ap-northeast-1"}); got != want {
		t.Errorf("live source %#v, want %#v", got, want)
	}
	if len(snap.Events) == 0 {
		t.Fatal("no events loaded")
	}
	for i, e := range snap.Events {
		// Typed where it was read: the call, its registry and the record,
		// no file.
		call := diagnose.Source{Call: "cloudtrail lookup-events", Account: "111111111111", Region: "ap-northeast-1"}
		if e.Source.Record < 1 || e.Source.At(0) != call {
			t.Errorf("event %d: source %#v, want the lookup-events call and the record's index", i, e.Source)
		}
		if want := fmt.Sprintf("aws cloudtrail lookup-events (111111111111, ap-northeast-1) #%d", e.Source.Record); e.Source.String() != want {
			t.Errorf("event %d: source %q, want %q", i, e.Source, want)
		}
	}
	for _, w := range snap.Warnings {
		if strings.Contains(w, dir) {
			t.Errorf("warning names the folder: %q", w)
		}
	}
	// A snapshot folder, not live, keeps naming its files.
	snap, err = LoadDir(context.Background(), dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := diagnose.Source{Call: "ecr get-registry-policy", Account: "222222222222", Region: "ap-northeast-1",
		File: filepath.Join(dir, "222222222222", "ap-northeast-1", "get-registry-policy.error.json")}
	if got := snap.Registries[diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}].RegistryPolicy.Source; got != want {
		t.Errorf("snapshot source %q, want the file", got)
	}
}

// Digest file names carry no ':' (refused in a Go module and on Windows),
// and the loader reads them back as the digest.
func TestReplicationStatusNames(t *testing.T) {
	for in, want := range map[string]string{
		"sha256:2eac0ea0d4e1": ReplicationStatusDir + "/team/app/sha256@2eac0ea0d4e1",
		"v1.2.3":              ReplicationStatusDir + "/team/app/v1.2.3",
	} {
		got := ReplicationStatusName("team/app", in)
		if got != want {
			t.Errorf("ReplicationStatusName(%q) = %q, want %q", in, got, want)
		}
		_, file, _ := cutLastSep(got, "/")
		if back := imageFromFileName(file); back != in {
			t.Errorf("the loader reads %q back as %q, want %q", file, back, in)
		}
	}
}
