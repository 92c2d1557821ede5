package collect

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestEventsScopedToTheQuestion: a trail folder given with --events (an
// organization bucket) is read only for the question's accounts (source and
// destinations), regions (source and destination) and a window ending at
// the capture time: other folders and files are never opened (issue 11).
func TestEventsScopedToTheQuestion(t *testing.T) {
	snap := filepath.Join("..", "..", "fixtures", "seed-grant-in-repository-policy") // captured 2026-11-26T10:00Z; rules to 111111111111/us-west-1 and 222222222222/ap-northeast-1
	base, err := LoadDir(context.Background(), snap, LoadOptions{Repository: "my-repo"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	put := func(acct, region, day, hhmm string) {
		p := filepath.Join(dir, "AWSLogs", "o-abc123", acct, "CloudTrail", region, filepath.FromSlash(day),
			fmt.Sprintf("%s_CloudTrail_%s_%sT%sZ_x.json.gz", acct, region, filepath.ToSlash(day)[:4]+day[5:7]+day[8:10], hhmm))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(`{"Records":[]}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// In the question: opened.
	put("111111111111", "ap-northeast-1", "2026/11/26", "0900")
	put("222222222222", "ap-northeast-1", "2026/11/26", "0900")
	put("111111111111", "us-west-1", "2026/11/25", "2300")
	// Outside it: never opened.
	put("333333333333", "ap-northeast-1", "2026/11/26", "0900") // another account
	put("111111111111", "eu-west-1", "2026/11/26", "0900")      // another region
	put("222222222222", "ap-northeast-1", "2026/11/28", "0900") // after the capture
	put("111111111111", "ap-northeast-1", "2026/11/26", "1500") // delivered hours after the capture
	got, err := LoadDir(context.Background(), snap, LoadOptions{Repository: "my-repo", Events: []string{filepath.Join(dir, "AWSLogs")}})
	if err != nil {
		t.Fatal(err)
	}
	if opened := got.EventsScanned.Files - base.EventsScanned.Files; opened != 3 {
		t.Errorf("opened %d trail files, want the question's 3 (scanned %+v)", opened, got.EventsScanned)
	}
	if got.EventsScanned.PrunedFolders+got.EventsScanned.PrunedFiles < 4 {
		t.Errorf("pruned %+v, want the 4 outside the question", got.EventsScanned)
	}
	// --since narrows the window further.
	since, _ := time.Parse(time.RFC3339, "2026-11-26T00:00:00Z")
	got, err = LoadDir(context.Background(), snap, LoadOptions{Repository: "my-repo", Events: []string{filepath.Join(dir, "AWSLogs")}, EventsSince: since})
	if err != nil {
		t.Fatal(err)
	}
	if opened := got.EventsScanned.Files - base.EventsScanned.Files; opened != 2 {
		t.Errorf("with --since: opened %d trail files, want 2", opened)
	}
}
