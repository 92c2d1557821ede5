//go:build unix

package collect

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO named like a call's file would block the load forever, and a
// folder named like one was silently "not collected": both are skipped with
// a warning.
func TestLoadSkipsWhatIsNotARegularFile(t *testing.T) {
	dir := writeSnapshot(t, with(baseFiles, map[string]string{"222222222222/ap-northeast-1/get-registry-policy.error.json": ""}))
	reg := filepath.Join(dir, "222222222222", "ap-northeast-1")
	if err := syscall.Mkfifo(filepath.Join(reg, "get-registry-policy.json"), 0o644); err != nil {
		t.Skipf("cannot make a FIFO here: %v", err)
	}
	if err := os.Mkdir(filepath.Join(reg, "describe-repositories.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	snap, err := LoadDir(ctx, dir, LoadOptions{Repository: "my-repo"})
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	warnings := strings.Join(snap.Warnings, "\n")
	for _, want := range []string{"get-registry-policy.json: skipped: not a regular file", "describe-repositories.json: skipped: a folder, not the file its name says"} {
		if !strings.Contains(warnings, want) {
			t.Errorf("warnings do not say %q:\n%s", want, warnings)
		}
	}
}
