package trail

import (
	"context"
	"testing"
)

// Paired reads every file both ways: a folder of two files gives CPU time
// for both, and a path that is not there is an error, not a zero.
func TestPaired(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.json.gz", gz(t, trailFile(t, seedRec("a1"), seedRec("a2"))))
	writeFile(t, dir, "b.json", trailFile(t, seedRec("b1")))
	for _, workers := range []int{1, 2} {
		scan, drain, err := Paired(context.Background(), []string{dir}, Options{Workers: workers})
		if err != nil || scan <= 0 || drain <= 0 {
			t.Errorf("workers %d: scan %v, drain %v, err %v", workers, scan, drain, err)
		}
	}
	if _, _, err := Paired(context.Background(), []string{dir + "/nope"}, Options{}); err == nil {
		t.Error("a missing path gave no error")
	}
}
