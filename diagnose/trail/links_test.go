package trail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFolderFollowsLinks: users assemble trail folders from symbolic links
// to what they synced. A linked file and a linked folder are read; a link
// back into the folder (a loop) is skipped with a warning, not walked forever.
func TestFolderFollowsLinks(t *testing.T) {
	synced := t.TempDir()
	writeFile(t, synced, "a.json", trailFile(t, seedRec("linked-file")))
	sub := filepath.Join(synced, "more")
	writeFile(t, sub, "b.json", trailFile(t, seedRec("in-linked-folder")))
	dir := t.TempDir()
	for link, to := range map[string]string{"a.json": filepath.Join(synced, "a.json"), "more": sub, "loop": dir} {
		if err := os.Symlink(to, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	res := read(t, []string{dir}, nil, Options{Filter: FilterAll})
	if got := strings.Join(ids(res.Events), ","); got != "in-linked-folder,linked-file" && got != "linked-file,in-linked-folder" {
		t.Errorf("events %s, want both linked files read", got)
	}
	if w := strings.Join(res.Warnings, "\n"); !strings.Contains(w, "loop: skipped: a symbolic link back into a folder already read (a loop)") {
		t.Errorf("warnings: %q", res.Warnings)
	}
}
