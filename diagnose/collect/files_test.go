package collect

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLoadFileChecks: every file the loader opens, snapshot.json included,
// is a regular file under the size cap; a symbolic link that leaves the
// snapshot folder is skipped with a warning, one that stays inside is read.
func TestLoadFileChecks(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "elsewhere.json")
	if err := os.WriteFile(outside, []byte(policyNotFound), 0o644); err != nil {
		t.Fatal(err)
	}
	regPolicy := "222222222222/ap-northeast-1/get-registry-policy.error.json"

	t.Run("link out of the snapshot", func(t *testing.T) {
		dir := writeSnapshot(t, with(baseFiles, map[string]string{regPolicy: ""}))
		if err := os.Symlink(outside, filepath.Join(dir, filepath.FromSlash(regPolicy))); err != nil {
			t.Fatal(err)
		}
		snap, err := LoadDir(context.Background(), dir, LoadOptions{Repository: "my-repo"})
		if err != nil {
			t.Fatal(err)
		}
		if w := strings.Join(snap.Warnings, "\n"); !strings.Contains(w, "get-registry-policy.error.json: skipped: a symbolic link to "+outside+", outside the snapshot folder") {
			t.Errorf("warnings: %s", w)
		}
		if snap.Registries[dstLoc].RegistryPolicy.State != 0 {
			t.Errorf("the linked file was read: %+v", snap.Registries[dstLoc].RegistryPolicy)
		}
	})
	t.Run("snapshot.json linked out", func(t *testing.T) {
		dir := writeSnapshot(t, with(baseFiles, map[string]string{"snapshot.json": ""}))
		other := filepath.Join(t.TempDir(), "snapshot.json")
		os.WriteFile(other, []byte(manifestJSON), 0o644)
		os.Symlink(other, filepath.Join(dir, "snapshot.json"))
		snap, err := LoadDir(context.Background(), dir, LoadOptions{Repository: "my-repo"})
		if err != nil {
			t.Fatal(err)
		}
		if w := strings.Join(snap.Warnings, "\n"); !strings.Contains(w, "snapshot.json: skipped: a symbolic link") {
			t.Errorf("warnings: %s", w)
		}
	})
	t.Run("link inside the snapshot", func(t *testing.T) {
		dir := writeSnapshot(t, with(baseFiles, map[string]string{regPolicy: "", "shared/policy.json": policyNotFound}))
		os.Symlink(filepath.Join(dir, "shared", "policy.json"), filepath.Join(dir, filepath.FromSlash(regPolicy)))
		snap, err := LoadDir(context.Background(), dir, LoadOptions{Repository: "my-repo"})
		if err != nil {
			t.Fatal(err)
		}
		if snap.Registries[dstLoc].RegistryPolicy.ErrCode() != "RegistryPolicyNotFoundException" {
			t.Errorf("a link inside the snapshot was not read: %+v", snap.Registries[dstLoc].RegistryPolicy)
		}
	})
	t.Run("snapshot.json a FIFO", func(t *testing.T) {
		dir := writeSnapshot(t, with(baseFiles, map[string]string{"snapshot.json": ""}))
		if err := syscall.Mkfifo(filepath.Join(dir, "snapshot.json"), 0o644); err != nil {
			t.Skip("no FIFOs here:", err)
		}
		_, err := LoadDir(context.Background(), dir, LoadOptions{Repository: "my-repo"})
		if err == nil || !strings.Contains(err.Error(), "snapshot.json: not a regular file (a named pipe (FIFO))") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("over the size cap", func(t *testing.T) {
		dir := writeSnapshot(t, baseFiles)
		p := filepath.Join(dir, "111111111111", "ap-northeast-1", "describe-repositories.json")
		if err := os.Truncate(p, maxSnapshotFile+1); err != nil { // sparse: nothing is written
			t.Fatal(err)
		}
		_, err := LoadDir(context.Background(), dir, LoadOptions{Repository: "my-repo"})
		if err == nil || !strings.Contains(err.Error(), "describe-repositories.json: larger than the 64 MB a snapshot file may hold") {
			t.Fatalf("err = %v", err)
		}
	})
}
