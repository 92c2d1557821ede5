package trail

import (
	"bytes"
	"testing"
)

func TestFinderMatchesBytesIndex(t *testing.T) {
	hay := []string{"", "e", "errorCod", "errorCode", "xerrorCodex", "CCCerrorCodeerrorCode", "errorCCode errorCode", `{"eventVersion":{"eventVersion":`, "VVVV{\"eventVersion\":"}
	for _, needle := range []string{"errorCode", `{"eventVersion":`, "ReplicateImage", "a"} {
		f := newFinder(needle)
		for _, h := range hay {
			if got, want := f.index([]byte(h)), bytes.Index([]byte(h), []byte(needle)); got != want {
				t.Errorf("index(%q in %q) = %d, want %d", needle, h, got, want)
			}
			if got, want := f.count([]byte(h)), bytes.Count([]byte(h), []byte(needle)); got != want {
				t.Errorf("count(%q in %q) = %d, want %d", needle, h, got, want)
			}
		}
	}
}

func FuzzFinder(f *testing.F) {
	f.Add([]byte("xxerrorCodeyy"), "errorCode")
	f.Fuzz(func(t *testing.T, hay []byte, needle string) {
		if needle == "" {
			return
		}
		fd := newFinder(needle)
		if got, want := fd.index(hay), bytes.Index(hay, []byte(needle)); got != want {
			t.Fatalf("index = %d, want %d", got, want)
		}
	})
}
