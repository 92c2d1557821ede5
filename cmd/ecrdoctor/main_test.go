package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ecrdoctor": func() { os.Exit(Main(os.Args, os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScript runs the end-to-end scripts in testdata/script. Each script's
// $FIXTURES points at the repository's fixtures folder.
func TestScript(t *testing.T) {
	fixtures, err := filepath.Abs(filepath.Join("..", "..", "fixtures"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:           filepath.Join("testdata", "script"),
		UpdateScripts: os.Getenv("UPDATE_SCRIPTS") != "",
		Setup: func(env *testscript.Env) error {
			env.Setenv("FIXTURES", fixtures)
			env.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}

// run calls Main in-process and returns its exit code, stdout and stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(append([]string{"ecrdoctor"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// runAWS runs a command line in-process on env's moto and CloudTrail: AWS
// comes from the IO, not the process environment, so the test may run in
// parallel with others, each on its own moto.
func runAWS(t *testing.T, env *awstest.Env, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runMain(append([]string{"ecrdoctor"}, args...), IO{In: strings.NewReader(""), Out: &out, Err: &errb,
		AWS: collect.AWS{LoadConfig: env.LoadConfig, CloudTrail: env.CloudTrail}})
	return code, out.String(), errb.String()
}

// runProcess runs ecrdoctor as a process of its own (the test binary, as
// testscript installs it on PATH) in env's environment: the SDK's default
// chain reads the process environment alone, so a test of a credential
// source needs a process of its own to run in parallel.
func runProcess(t *testing.T, env *awstest.Env, args ...string) (int, string, string) {
	t.Helper()
	bin, err := exec.LookPath("ecrdoctor")
	if err != nil {
		t.Fatalf("the ecrdoctor command testscript installs is not on PATH: %v", err)
	}
	var out, errb bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env.Environ(), &out, &errb
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), out.String(), errb.String()
	case err != nil:
		t.Fatalf("running %s: %v", bin, err)
	}
	return 0, out.String(), errb.String()
}

func TestExitCodesForUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"unknown command", []string{"frobnicate"}, exitUsage},
		{"unknown flag", []string{"--no-such-flag"}, exitUsage},
		{"version", []string{"--version"}, exitOK},
		{"bare help", nil, exitOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, "", tc.args...)
			if code != tc.want {
				t.Fatalf("exit code = %d, want %d (stderr: %s)", code, tc.want, stderr)
			}
			if tc.want == exitUsage && !strings.Contains(stderr, "ecrdoctor:") {
				t.Errorf("stderr does not explain the usage error: %q", stderr)
			}
		})
	}
}

// TestMemoryLimitFollowsLiveHeap: with more live heap than the starting
// soft limit, the limit moves above it after a collection (a limit below the
// live heap makes the collector run without pause), and it never drops
// below minHeapLimit.
func TestMemoryLimitFollowsLiveHeap(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	var stop atomic.Bool
	defer func() { stop.Store(true); runtime.GC(); debug.SetMemoryLimit(old) }()
	debug.SetMemoryLimit(minHeapLimit)
	followLiveHeap(&stop)
	keep := make([][]byte, 0, 200)
	for range 200 {
		keep = append(keep, make([]byte, 1<<20))
	}
	var limit int64
	for range 50 { // the finalizer runs after a collection, on its own goroutine
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		if limit = debug.SetMemoryLimit(-1); limit >= 2*200<<20 {
			break
		}
	}
	runtime.KeepAlive(keep)
	if limit < 2*200<<20 {
		t.Fatalf("soft limit %d MiB with 200 MiB live", limit>>20)
	}
	if heapLimit(1<<20) != minHeapLimit {
		t.Fatalf("a small heap's limit is %d", heapLimit(1<<20))
	}
}
