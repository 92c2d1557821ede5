package main

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The HTML report is tested in a real headless Chromium (Debian's package),
// driven over the DevTools protocol by chromedp: no Node toolchain.

// chromiumPath finds the browser, or skips the test; with
// ECRDOCTOR_REQUIRE_CHROMIUM=1 (CI) a missing browser is a failure.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ECRDOCTOR_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "chromium not found (install it with: apt-get install -y chromium; or set ECRDOCTOR_CHROMIUM to its path)"
	if os.Getenv("ECRDOCTOR_REQUIRE_CHROMIUM") == "1" {
		t.Fatal(msg + "; ECRDOCTOR_REQUIRE_CHROMIUM=1 makes this a failure")
	}
	t.Skip(msg + ": the browser test of the HTML report is skipped")
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile for the test.
// The flags keep it from calling out: the machines that run the tests may
// have no network, and the report must not need one.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath(t)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1000),
	)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil { // start the browser and open the tab
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// pageLog is what a page did that a user would see as broken: console
// errors, uncaught exceptions, dialogs, and requests for anything but the
// page itself.
type pageLog struct {
	mu       sync.Mutex
	errors   []string
	requests []string
	failed   []string
	dialogs  []string
}

func (l *pageLog) add(list *[]string, s string) {
	l.mu.Lock()
	*list = append(*list, s)
	l.mu.Unlock()
}

// openPage opens a file in the browser and waits until its script has run
// (the element waitFor exists), recording what the page does meanwhile.
func openPage(t *testing.T, ctx context.Context, file, waitFor string) *pageLog {
	t.Helper()
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	u := (&url.URL{Scheme: "file", Path: abs}).String()
	l := &pageLog{}
	err = chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				l.add(&l.errors, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			text := ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				text += " " + ev.ExceptionDetails.Exception.Description
			}
			l.add(&l.errors, "exception: "+text)
		case *log.EventEntryAdded:
			// CSP violations, blocked requests and the like.
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				l.add(&l.errors, "log."+string(ev.Entry.Level)+" ("+string(ev.Entry.Source)+"): "+ev.Entry.Text)
			}
		case *network.EventRequestWillBeSent:
			if ev.Request.URL != u {
				l.add(&l.requests, ev.Request.URL)
			}
		case *network.EventLoadingFailed:
			l.add(&l.failed, ev.ErrorText+" "+string(ev.BlockedReason))
		case *page.EventJavascriptDialogOpening:
			l.add(&l.dialogs, string(ev.Type)+": "+ev.Message)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitReady(chromedp.CSS(waitFor))); err != nil {
		t.Fatalf("opening %s: %v", u, err)
	}
	return l
}

// clean fails the test for anything the page did wrong so far.
func (l *pageLog) clean(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.errors {
		t.Errorf("the page logged an error: %s", e)
	}
	for _, r := range l.requests {
		t.Errorf("the page requested %s: the report must load nothing", r)
	}
	for _, f := range l.failed {
		t.Errorf("a request of the page failed: %s", f)
	}
	for _, d := range l.dialogs {
		t.Errorf("the page opened a dialog: %s", d)
	}
}

// eval runs a JavaScript expression in the page and returns its value.
func eval[T any](t *testing.T, ctx context.Context, expr string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// artifactDir is where screenshots go: $ECRDOCTOR_ARTIFACTS when set (CI
// keeps it), else the test's temporary directory. Never the repository.
func artifactDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("ECRDOCTOR_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

// screenshot saves the whole page as a PNG in the artefact directory.
func screenshot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	return saveShot(t, ctx, name, chromedp.FullScreenshot(100))
}

// viewShot saves what the window shows.
func viewShot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	return saveShot(t, ctx, name, chromedp.CaptureScreenshot())
}

func saveShot(t *testing.T, ctx context.Context, name string, shot chromedp.Action[[]byte]) string {
	t.Helper()
	png, err := chromedp.Run(ctx, shot)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(artifactDir(t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}
