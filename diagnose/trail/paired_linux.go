package trail

import (
	"context"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Paired measures what scanning costs beside decompressing only: each file
// is read both ways in turn (which first alternates), three times each, by
// the same worker on the same OS thread, and the thread's CPU time of the
// fastest of each counts, so that load from elsewhere on the machine, which
// changes from millisecond to millisecond, falls on both alike. It returns
// the CPU time of the scans and of the drains of every file of paths, with
// opts.Workers workers.
func Paired(ctx context.Context, paths []string, opts Options) (scan, drain time.Duration, err error) {
	var res Result
	jobs, _, err := plan(paths, opts, &res)
	if err != nil {
		return 0, 0, err
	}
	var mu sync.Mutex
	err = forEach(ctx, len(jobs), opts.Workers, func(ctx context.Context, sc *scanner, i int) error {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		// Each way pairedRuns times, in turn; the fastest of each counts
		// (a run that another process preempted, or whose caches it
		// emptied, is slower, never faster).
		best := [2]time.Duration{-1, -1} // scan, drain
		for k := range 2 * pairedRuns {
			which := (i + k) % 2
			f, err := os.Open(jobs[i].path)
			if err != nil {
				return err
			}
			c0 := threadCPU()
			if which == 0 {
				sc.scanFile(opts.source(jobs[i].path), f)
			} else {
				_, err = sc.drain(f)
			}
			if d := threadCPU() - c0; best[which] < 0 || d < best[which] {
				best[which] = d
			}
			f.Close()
			if err != nil {
				return err
			}
		}
		mu.Lock()
		scan, drain = scan+best[0], drain+best[1]
		mu.Unlock()
		return nil
	}, func() *scanner { return newScanner(opts) })
	return scan, drain, err
}

// pairedRuns is how many times Paired reads each file each way.
const pairedRuns = 3

// threadCPU is the CPU time of the calling OS thread, in nanoseconds.
func threadCPU() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
