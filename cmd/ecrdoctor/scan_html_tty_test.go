//go:build linux

package main

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the terminal a user's stdout is.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	// Non-blocking, so that os.NewFile gives a file whose reads take a
	// deadline.
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	m := os.NewFile(uintptr(fd), "/dev/ptmx")
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("ptsname: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// On a terminal, --output html without --out is refused before anything is
// read (exit 2), saying what to type instead; NO_COLOR changes nothing.
func TestScanHTMLNotOnATerminal(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	master, tty := openPTY(t)
	// Drain the terminal as a terminal window does, so a page written to it
	// fails this test instead of filling the buffer and hanging it.
	done, shown := make(chan struct{}), make(chan []byte)
	go func() {
		var all []byte
		b := make([]byte, 64<<10)
		for {
			master.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			n, err := master.Read(b)
			all = append(all, b[:n]...)
			if err == nil {
				continue
			}
			select {
			case <-done: // Main has returned and the terminal is drained
				shown <- all
				return
			default:
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					time.Sleep(10 * time.Millisecond)
				}
			}
		}
	}()
	var stderr bytes.Buffer
	code := Main([]string{"ecrdoctor", "scan", "--snapshot", "../../fixtures/seed-grant-in-repository-policy", "--output", "html"}, strings.NewReader(""), tty, &stderr)
	if code != exitUsage {
		t.Errorf("exit %d, want %d (stderr: %s)", code, exitUsage, stderr.String())
	}
	if !strings.Contains(stderr.String(), "--out report.html") {
		t.Errorf("stderr does not say what to do: %q", stderr.String())
	}
	close(done)
	if b := <-shown; len(b) > 0 {
		t.Errorf("the terminal got %d bytes: %.80q...", len(b), b)
	}
}
