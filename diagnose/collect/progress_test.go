package collect

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// A status line longer than the terminal wraps, and the next "\r" redraw
// then leaves its first row behind: on an 80-column terminal a live scan
// printed one stale "reading the destination registries: ..." line per
// update. Each redraw must fit in one row, the last column left free.
func TestProgressFitsTheTerminal(t *testing.T) {
	var b bytes.Buffer
	p := &progress{w: &b, width: 80, lines: map[string]string{}}
	p.set("scan", "reading the destination registries: 12 accounts, 20 of 31 registries read, 1234 calls")
	p.set("scan", "short")
	for _, draw := range strings.Split(b.String(), "\r\x1b[K")[1:] {
		if n := utf8.RuneCountInString(draw); n >= 80 {
			t.Errorf("status line of %d columns on an 80-column terminal: %q", n, draw)
		}
	}
	if !strings.Contains(b.String(), "ecrdoctor: reading the destination registries: 12 accounts, 20 of 31 regis") {
		t.Errorf("the status lost its beginning: %q", b.String())
	}
	if !strings.HasSuffix(b.String(), "ecrdoctor: short") {
		t.Errorf("a short status is cut: %q", b.String())
	}
}
