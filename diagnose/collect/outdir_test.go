package collect

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func tree(t *testing.T, dir string) string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !d.IsDir() {
			b, _ := os.ReadFile(p)
			out = append(out, filepath.ToSlash(rel)+"="+string(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

const testManifest = `{"source":{"account":"111111111111","region":"ap-northeast-1"},"repository":"my-repo"}`

// TestOutRefusesFoldersItDidNotWrite: a non-empty folder without a
// snapshot is never written to nor emptied, even when replacing is asked.
func TestOutRefusesFoldersItDidNotWrite(t *testing.T) {
	for _, files := range []map[string]string{
		{"notes.txt": "mine"},
		{"snapshot.json": "not JSON", "111111111111/x.json": "{}"},
		{"222222222222/keep.json": "{}"},
	} {
		dir := writeSnapshot(t, files)
		before := tree(t, dir)
		for _, replace := range []bool{false, true} {
			if _, err := OpenOut(dir, replace); !errors.Is(err, ErrOutNotSnapshot) {
				t.Errorf("%v, replace %v: err = %v, want ErrOutNotSnapshot", files, replace, err)
			}
		}
		if after := tree(t, dir); after != before {
			t.Errorf("the folder changed:\n%s\nwas:\n%s", after, before)
		}
	}
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, []byte("x"), 0o644)
	if _, err := OpenOut(file, true); !errors.Is(err, ErrOutNotSnapshot) {
		t.Errorf("a file: err = %v", err)
	}
}

// TestOutReplacesASnapshotWhole: with replace, the earlier snapshot stays
// as it was until Commit (so a failed capture loses nothing), is staged
// inside the target itself (a rename there works on a mount point and never
// crosses file systems), and Commit leaves exactly the new capture plus the
// user's own files.
func TestOutReplacesASnapshotWhole(t *testing.T) {
	dir := writeSnapshot(t, map[string]string{
		"snapshot.json":                      testManifest,
		"111111111111/ap-northeast-1/a.json": "old",
		"333333333333/us-east-1/b.json":      "stale",
		"NOTES.txt":                          "ticket 123",
		"cloudtrail/x.json":                  "synced by the user",
	})
	before := tree(t, dir)
	if _, err := OpenOut(dir, false); !errors.Is(err, ErrOutNotEmpty) {
		t.Fatalf("without replace: err = %v, want ErrOutNotEmpty", err)
	}
	// A capture that fails is aborted: nothing changes.
	out, err := OpenOut(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(out.Dir(), "snapshot.json"), []byte("half"), 0o644)
	out.Abort()
	if after := tree(t, dir); after != before {
		t.Fatalf("an aborted capture changed the snapshot:\n%s", after)
	}

	out, err = OpenOut(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(out.Dir()) != filepath.Clean(dir) {
		t.Errorf("staged in %s, want inside the target %s", out.Dir(), dir)
	}
	os.WriteFile(filepath.Join(out.Dir(), "snapshot.json"), []byte(testManifest), 0o644)
	os.MkdirAll(filepath.Join(out.Dir(), "111111111111", "ap-northeast-1"), 0o755)
	os.WriteFile(filepath.Join(out.Dir(), "111111111111", "ap-northeast-1", "c.json"), []byte("new"), 0o644)
	if after := tree(t, dir); !strings.Contains(after, "111111111111/ap-northeast-1/a.json=old") {
		t.Fatalf("the earlier snapshot changed before Commit:\n%s", after)
	}
	if err := out.Commit(); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"111111111111/ap-northeast-1/c.json=new",
		"NOTES.txt=ticket 123",
		"cloudtrail/x.json=synced by the user",
		"snapshot.json=" + testManifest,
	}, "\n")
	if got := tree(t, dir); got != want {
		t.Errorf("after Commit:\n%s\nwant:\n%s", got, want)
	}
}

// TestOutNewFolder: a new target is staged beside it and renamed into place.
func TestOutNewFolder(t *testing.T) {
	target := filepath.Join(t.TempDir(), "a", "snap")
	out, err := OpenOut(target, false)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(out.Dir()) != filepath.Dir(target) {
		t.Errorf("staged in %s, want beside %s", out.Dir(), target)
	}
	os.WriteFile(filepath.Join(out.Dir(), "snapshot.json"), []byte(testManifest), 0o644)
	if err := out.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, filepath.Dir(target)); got != "snap/snapshot.json="+testManifest {
		t.Errorf("parent holds:\n%s", got)
	}
}
