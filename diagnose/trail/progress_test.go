package trail

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgressLine(t *testing.T) {
	p := newProgress(nil, []job{{path: "a", size: 3 << 30}, {path: "b", size: 1 << 30}})
	p.done.Store(1 << 30)
	p.filesDone.Store(1)
	got := p.line(2 * time.Second)
	want := "scanning: 1/2 files, 1.0 GB/4.0 GB, 512.0 MB/s, 6s left"
	if got != want {
		t.Fatalf("line = %q, want %q", got, want)
	}
}

// TestProgressClears: on a terminal the line is drawn and then erased, so
// the table that follows starts on a clean line.
func TestProgressClears(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, []job{{path: "a", size: 10}})
	time.Sleep(250 * time.Millisecond)
	p.stop()
	out := buf.String()
	if !strings.Contains(out, "scanning: 0/1 files") || !strings.HasSuffix(out, "\r\033[K") {
		t.Fatalf("progress output %q", out)
	}
}
