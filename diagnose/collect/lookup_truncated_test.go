package collect

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTruncatedLookupEvents: a snapshot's lookup-events file that cannot be
// read to its end is a broken snapshot file (an error naming it: exit 3),
// never "not collected" nor a partial list of denials. A live run's names
// the AWS call, not the temporary folder it was captured into.
func TestTruncatedLookupEvents(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("..", "..", "fixtures", "seed-grant-in-repository-policy"))); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "111111111111", "ap-northeast-1", "lookup-events.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b[:len(b)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = LoadDir(context.Background(), dir, LoadOptions{Repository: "my-repo"})
	if err == nil || !strings.Contains(err.Error(), "lookup-events.json") || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("err = %v, want one naming the truncated lookup-events.json", err)
	}
	_, err = LoadDir(context.Background(), dir, LoadOptions{Repository: "my-repo", Live: true})
	if err == nil || !strings.HasPrefix(err.Error(), "aws cloudtrail lookup-events (111111111111, ap-northeast-1): ") || strings.Contains(err.Error(), dir) {
		t.Fatalf("live: err = %v, want one naming the lookup-events call and not the folder", err)
	}
}
