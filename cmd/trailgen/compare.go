package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// jqFilter is "events --repo my-repo" written for jq: failed ReplicateImage
// or CreateRepository calls by the replication role on my-repo.
const jqFilter = `.Records[] | select((.eventName == "ReplicateImage" or .eventName == "CreateRepository")
  and ((.errorCode // "") | startswith("AccessDenied"))
  and (((.userIdentity.arn // "") + " " + (.errorMessage // "")) | contains("/AWSServiceRoleForECRReplication/"))
  and ((.errorMessage // "") | test(":repository/my-repo( |$)"))) | .eventID`

// measurement is one timed configuration; the fastest of its runs counts.
type measurement struct {
	name     string
	fn       func() error
	wall     time.Duration
	cpu      time.Duration // user + system time of this process
	measured bool
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs the measurements round-robin, runs times, so that a burst of
// load from elsewhere on the machine hits all of them alike, and keeps each
// one's fastest run.
func measure(runs int, ms []*measurement) error {
	for range max(runs, 1) {
		for _, m := range ms {
			runtime.GC()
			c0, t0 := cpuTime(), time.Now()
			if err := m.fn(); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			wall, cpu := time.Since(t0), cpuTime()-c0
			if !m.measured || wall < m.wall {
				m.wall = wall
			}
			if !m.measured || cpu < m.cpu {
				m.cpu = cpu
			}
			m.measured = true
		}
	}
	return nil
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// compare prints every ratio of issue 5 for the corpus in dir.
func compare(ctx context.Context, out, log io.Writer, dir string, size int64, seed uint64, runs int, withJQ bool) error {
	m, err := ensureCorpus(dir, size, seed, log)
	if err != nil {
		return err
	}
	root := filepath.Join(dir, "AWSLogs")
	var gzBytes int64
	filepath.WalkDir(root, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				gzBytes += fi.Size()
			}
		}
		return nil
	})
	fmt.Fprintf(out, "corpus: %s: %d files, %d records, %.2f GB of JSON (%.0f MB gzipped), %d needles, %d near-misses\n",
		root, m.Files, m.Records, float64(m.JSONBytes)/1e9, float64(gzBytes)/1e6, len(m.Needles), len(m.NearMisses))
	fmt.Fprintf(out, "machine: %d CPUs, GOMAXPROCS %d, load average before: %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), loadavg())
	fmt.Fprintf(out, "search: %s\n", trail.SearchMethod())

	paths := []string{root}
	opts := trail.Options{Repository: m.Repository}
	drain := func(workers int) func() error {
		return func() error {
			o := opts
			o.Workers = workers
			_, _, err := trail.Drain(ctx, paths, o)
			return err
		}
	}
	var res *trail.Result
	scan := func(workers int) func() error {
		return func() error {
			o := opts
			o.Workers = workers
			r, err := trail.Read(ctx, paths, nil, o)
			res = r
			return err
		}
	}
	if err := drain(0)(); err != nil { // warm the page cache
		return err
	}
	w := runtime.GOMAXPROCS(0)
	dr, sc := &measurement{name: "decompress only", fn: drain(0)}, &measurement{name: "scan", fn: scan(0)}
	dr1, sc1 := &measurement{name: "decompress only, 1 worker", fn: drain(1)}, &measurement{name: "scan, 1 worker", fn: scan(1)}
	sc2 := &measurement{name: "scan, 2 workers", fn: scan(2)}
	all := []*measurement{dr, sc, dr1, sc1, sc2}
	if w == 2 {
		sc2, all = sc, all[:4] // the same configuration: measure it once
	}
	if err := measure(runs, all); err != nil {
		return err
	}
	mbps := func(d time.Duration) float64 { return float64(m.JSONBytes) / 1e6 / d.Seconds() }
	fmt.Fprintf(out, "fastest of %d interleaved runs (wall time; CPU time of the process in brackets):\n", runs)
	for _, x := range all {
		label := x.name
		if x == dr || x == sc {
			label += fmt.Sprintf(", %d workers", w)
		}
		fmt.Fprintf(out, "  %-28s %7.3fs  (cpu %7.3fs)  %6.0f MB/s of JSON\n", label+":", x.wall.Seconds(), x.cpu.Seconds(), mbps(x.wall))
	}
	tScan := sc.wall
	// The goal is on CPU time, which other load on the machine hardly
	// moves; wall time is shown beside it.
	for _, p := range []struct {
		label    string
		scan, dr *measurement
	}{{fmt.Sprintf("%d workers:", w), sc, dr}, {"1 worker: ", sc1, dr1}} {
		rc := p.scan.cpu.Seconds() / p.dr.cpu.Seconds()
		rw := p.scan.wall.Seconds() / p.dr.wall.Seconds()
		fmt.Fprintf(out, "scan / decompress-only, %s  CPU time %.3f (goal <= 1.05)  %s;  wall %.3f\n", p.label, rc, verdict(rc <= 1.05), rw)
	}
	// Paired per file: each file scanned and drained in turn on one thread,
	// whose CPU time is counted; a burst of load from elsewhere falls on
	// both alike, which whole-corpus runs cannot promise on a busy machine.
	for _, workers := range []int{1, 2} {
		var best float64
		var bs, bd time.Duration
		for range max(runs, 1) {
			s, d, err := trail.Paired(ctx, paths, trail.Options{Repository: m.Repository, Workers: workers})
			if err != nil {
				return fmt.Errorf("paired measurement: %w", err)
			}
			if r := s.Seconds() / d.Seconds(); best == 0 || r < best {
				best, bs, bd = r, s, d
			}
		}
		fmt.Fprintf(out, "scan / decompress-only, paired per file, %d worker(s): thread CPU time %.3f (goal <= 1.05)  %s;  scan %.3fs, decompress %.3fs\n",
			workers, best, verdict(best <= 1.05), bs.Seconds(), bd.Seconds())
	}
	r2 := sc1.wall.Seconds() / sc2.wall.Seconds()
	fmt.Fprintf(out, "2 workers vs 1:                     %.2fx (goal >= 1.8)   %s\n", r2, verdict(r2 >= 1.8))

	// Exactly the needles, and no near-miss.
	found := make([]string, 0, len(res.Events))
	for _, e := range res.Events {
		found = append(found, e.EventID)
	}
	slices.Sort(found)
	missing, extra := diff(m.Needles, found)
	nearHit := 0
	for _, id := range found {
		if _, ok := slices.BinarySearch(m.NearMisses, id); ok {
			nearHit++
		}
	}
	fmt.Fprintf(out, "needles: %d expected, %d found, %d missing, %d extra, %d near-misses found  %s\n",
		len(m.Needles), len(found), len(missing), len(extra), nearHit, verdict(len(missing) == 0 && len(extra) == 0 && nearHit == 0))
	fmt.Fprintf(out, "records scanned: %d (manifest %d), warnings %d\n", res.Scanned.Records, m.Records, len(res.Warnings))

	// Peak memory of a scan on its own, in a fresh process.
	if exe, err := os.Executable(); err == nil {
		cmd := exec.CommandContext(ctx, exe, "scan", "-dir", dir, "-workers", "0")
		cmd.Stderr = log
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("measuring memory: %w", err)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			mb := float64(ru.Maxrss) / 1024 // kilobytes on Linux
			fmt.Fprintf(out, "peak memory (max RSS) of a scan, %d workers: %.1f MB  (goal < 100 MB)  %s\n", w, mb, verdict(mb < 100))
		}
	}

	if !withJQ {
		fmt.Fprintln(out, "zcat | jq: skipped (-no-jq)")
	} else if _, err := exec.LookPath("jq"); err != nil {
		fmt.Fprintln(out, "zcat | jq: skipped: jq is not installed (apt-get install -y jq)")
	} else {
		script := `find "$1" -name '*.json.gz' ! -path '*CloudTrail-Digest*' -print0 | sort -z | xargs -0 zcat | jq -r "$2"`
		cmd := exec.CommandContext(ctx, "sh", "-c", script, "sh", root, jqFilter)
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = log
		t0 := time.Now()
		if err := cmd.Start(); err != nil {
			return err
		}
		var lines []string
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		if err := cmd.Wait(); err != nil {
			return fmt.Errorf("zcat | jq: %w", err)
		}
		tJQ := time.Since(t0)
		slices.Sort(lines)
		rj := tJQ.Seconds() / tScan.Seconds()
		fmt.Fprintf(out, "zcat | jq 'select(...)':     %7.2fs  %d lines, same ids as the scan: %v\n", tJQ.Seconds(), len(lines), slices.Equal(lines, found))
		fmt.Fprintf(out, "scan vs zcat | jq:                  %.1fx (goal >= 15)    %s\n", rj, verdict(rj >= 15))
	}
	fmt.Fprintf(out, "load average after: %s\n", loadavg())
	return nil
}

// diff returns what want has that got lacks, and the reverse; both sorted.
func diff(want, got []string) (missing, extra []string) {
	for _, id := range want {
		if _, ok := slices.BinarySearch(got, id); !ok {
			missing = append(missing, id)
		}
	}
	for _, id := range got {
		if _, ok := slices.BinarySearch(want, id); !ok {
			extra = append(extra, id)
		}
	}
	return missing, extra
}

// scanOnce runs one scan of the corpus and reports it; compare runs it in a
// fresh process to measure peak memory.
func scanOnce(ctx context.Context, out io.Writer, dir string, workers int) error {
	root := filepath.Join(dir, "AWSLogs")
	t0 := time.Now()
	res, err := trail.Read(ctx, []string{root}, nil, trail.Options{Repository: "my-repo", Workers: workers})
	if err != nil {
		return err
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Fprintf(out, "scan: %d events in %d records from %d files in %.2fs; peak memory %.1f MB\n",
		len(res.Events), res.Scanned.Records, res.Scanned.Files, time.Since(t0).Seconds(), float64(ru.Maxrss)/1024)
	return nil
}
