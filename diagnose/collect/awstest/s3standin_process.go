package awstest

import (
	"bufio"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The environment that makes a test binary the S3 stand-in's own process
// (StartS3StandInProcess): the bucket, the folder whose files it serves and
// the latency.
const (
	standInBucketEnv  = "ECRDOCTOR_S3_STANDIN_BUCKET"
	standInDirEnv     = "ECRDOCTOR_S3_STANDIN_DIR"
	standInLatencyEnv = "ECRDOCTOR_S3_STANDIN_LATENCY"
)

// A test binary started by StartS3StandInProcess serves and never runs
// its tests: awstest is imported by test binaries only.
func init() {
	if bucket := os.Getenv(standInBucketEnv); bucket != "" {
		os.Exit(serveStandInProcess(bucket, os.Getenv(standInDirEnv), os.Getenv(standInLatencyEnv)))
	}
}

// S3StandInProcess is the S3 stand-in run as a process of its own, so that
// its CPU (serving, and its side of the loopback copies) is not counted as
// the reader's: a benchmark reads the two apart with CPU and getrusage.
type S3StandInProcess struct {
	URL string
	pid int
}

// StartS3StandInProcess serves the files under dir (keys are their paths
// relative to dir) as bucket from a copy of the test binary, each request
// held latency, until the test ends.
func StartS3StandInProcess(t testing.TB, bucket, dir string, latency time.Duration) *S3StandInProcess {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), standInBucketEnv+"="+bucket, standInDirEnv+"="+dir, standInLatencyEnv+"="+latency.String())
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the S3 stand-in process: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("the S3 stand-in process did not say its address: %v", err)
	}
	return &S3StandInProcess{URL: strings.TrimSpace(line), pid: cmd.Process.Pid}
}

// CPU is the CPU time (user and system) the stand-in's process has used.
func (s *S3StandInProcess) CPU() time.Duration { return ProcessCPU(s.pid) }

func serveStandInProcess(bucket, dir, latency string) int {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = body
		return err
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "S3 stand-in:", err)
		return 1
	}
	s := newS3StandIn(bucket, files)
	if s.Latency, err = time.ParseDuration(latency); err != nil {
		fmt.Fprintln(os.Stderr, "S3 stand-in:", err)
		return 1
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "S3 stand-in:", err)
		return 1
	}
	fmt.Printf("http://%s\n", l.Addr())
	fmt.Fprintln(os.Stderr, http.Serve(l, http.HandlerFunc(s.serve)))
	return 1
}

// ProcessCPU is the CPU time (user and system) process pid has used so
// far, from /proc (0 where there is none).
func ProcessCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	cpu, _ := statCPU(string(b))
	return cpu
}

// groupCPU is the CPU time of the processes of process group pgid (a
// shim and the server it starts).
func groupCPU(pgid int) time.Duration {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var total time.Duration
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if cpu, group := statCPU(string(b)); group == pgid {
			total += cpu
		}
	}
	return total
}

// statCPU reads utime and stime and the process group from a
// /proc/PID/stat line.
func statCPU(stat string) (cpu time.Duration, pgrp int) {
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0
	}
	f := strings.Fields(stat[i+1:]) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, 0
	}
	pgrp, _ = strconv.Atoi(f[2])
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const clockTicks = 100 // USER_HZ, fixed at 100 on Linux
	return time.Duration(utime+stime) * time.Second / clockTicks, pgrp
}
