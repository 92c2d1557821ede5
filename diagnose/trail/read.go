package trail

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// DefaultDeliveryMargin is how long after --until a log file may still
// hold events before it, unless Options.DeliveryMargin says otherwise.
// CloudTrail's date folders and file names are delivery times, and "a log
// file delivered at a specific time can contain records written at any
// point before that time" (CloudTrail user guide, log file name format);
// delivery takes about 5 minutes on average and is not guaranteed, so two
// hours leaves ample room while a one-day question opens ~1.08 days of
// files, not two.
const DefaultDeliveryMargin = 2 * time.Hour

// job is one file to read.
type job struct {
	path     string
	size     int64
	inFolder bool // found by walking a folder, not named by the user
}

// Read scans paths (files of any supported shape, gzipped or not; folders,
// recursively; "-" for stdin) and returns the events opts asks for.
//
// A file that cannot be read or understood becomes a warning and the scan
// goes on, unless opts.Strict, when the first such problem is the error.
func Read(ctx context.Context, paths []string, stdin io.Reader, opts Options) (*Result, error) {
	return readAll(ctx, paths, stdin, opts, nil)
}

// Stream is Read that hands each event to emit as soon as it is found
// rather than holding them all, so that its memory does not grow with the
// number of events (but for 16 bytes per event id, to drop repeats). Events
// come in the order they are found, file by file with files read in
// parallel, not sorted; the Result has no Events. emit is never called by
// two goroutines at once; an error from it stops the read and is returned.
func Stream(ctx context.Context, paths []string, stdin io.Reader, opts Options, emit func(Event) error) (*Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sk := &sink{emit: emit, cancel: cancel, seen: make(map[[2]uint64]struct{}), seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
	res, err := readAll(ctx, paths, stdin, opts, sk)
	if sk.err != nil {
		return nil, sk.err
	}
	return res, err
}

// sink passes a Stream's events on, once per event id.
type sink struct {
	mu     sync.Mutex
	emit   func(Event) error
	err    error
	cancel func()
	// seen holds two independent 64-bit hashes of each event id: a
	// collision, which would drop an event, is out of reach (~1e-26 for a
	// million ids), at a tenth of the memory of the ids themselves.
	seen  map[[2]uint64]struct{}
	seeds [2]maphash.Seed
}

func (sk *sink) add(e Event) {
	sk.mu.Lock()
	defer sk.mu.Unlock()
	if sk.err != nil {
		return
	}
	if e.EventID != "" {
		k := [2]uint64{maphash.String(sk.seeds[0], e.EventID), maphash.String(sk.seeds[1], e.EventID)}
		if _, dup := sk.seen[k]; dup {
			return
		}
		sk.seen[k] = struct{}{}
	}
	if err := sk.emit(e); err != nil {
		sk.err = err
		sk.cancel()
	}
}

func readAll(ctx context.Context, paths []string, stdin io.Reader, opts Options, sk *sink) (*Result, error) {
	res := &Result{Events: []Event{}, Warnings: []string{}, Incomplete: []string{}}
	jobs, useStdin, err := plan(paths, opts, res)
	if err != nil {
		return nil, err
	}
	newSc := func() *scanner {
		sc := newScanner(opts)
		sc.sink = sk
		return sc
	}
	results := make([]fileResult, len(jobs))
	var stdinResult fileResult
	if useStdin {
		stdinResult = newSc().scanFile(awsid.Source{Name: "(stdin)"}, &countingReader{r: stdin, ctx: ctx, n: new(atomic.Int64)})
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	prog := newProgress(opts.Progress, jobs)
	err = forEach(ctx, len(jobs), opts.Workers, func(ctx context.Context, sc *scanner, i int) error {
		f, err := os.Open(jobs[i].path)
		if err != nil {
			results[i].warnFile(opts.source(jobs[i].path).String(), err)
		} else {
			results[i] = sc.scanFile(opts.source(jobs[i].path), &countingReader{r: f, ctx: ctx, n: &prog.done})
			f.Close()
			if jobs[i].inFolder && errors.Is(results[i].err, errNotTrail) {
				// Another JSON file among the trail files (a snapshot's
				// other calls, a manifest): skipped and counted.
				results[i] = fileResult{notTrail: true}
			}
		}
		prog.fileDone()
		if opts.Strict && results[i].err != nil {
			return results[i].err
		}
		return nil
	}, newSc)
	prog.stop()
	if opts.Strict && stdinResult.err != nil {
		return nil, stdinResult.err
	}
	if err != nil {
		return nil, err
	}

	if useStdin {
		results = append(results, stdinResult)
	}
	res.merge(results)
	if sk == nil {
		sortEvents(res.Events)
	}
	return res, nil
}

// merge adds the files' results to res, in order, keeping one event per
// event id (the events are not sorted).
func (res *Result) merge(results []fileResult) {
	seen := make(map[string]bool)
	for _, fr := range results {
		if fr.notTrail {
			res.Scanned.SkippedFiles++
			continue
		}
		res.Scanned.Files++
		if fr.fileFailed && fr.records == 0 {
			res.Unreadable++
		}
		if fr.incomplete {
			res.Incomplete = append(res.Incomplete, fr.name)
		}
		res.Scanned.Records += fr.records
		res.Warnings = append(res.Warnings, fr.warnings...)
		for _, e := range fr.events {
			if e.EventID != "" {
				if seen[e.EventID] {
					continue
				}
				seen[e.EventID] = true
			}
			res.Events = append(res.Events, e)
		}
	}
}

// sortEvents puts the newest first; ties go by id and source so that output
// never depends on which worker finished first.
func sortEvents(evs []Event) {
	slices.SortStableFunc(evs, CompareEvents)
}

// CompareEvents orders events the way Read returns them: the newest first,
// ties by event id, then by source (file and record).
func CompareEvents(a, b Event) int {
	if c := b.Time.Compare(a.Time); c != 0 {
		return c
	}
	if c := strings.Compare(a.EventID, b.EventID); c != 0 {
		return c
	}
	return strings.Compare(a.Source.String(), b.Source.String())
}

// forEach runs fn over 0..n-1 on the given number of workers, each with its
// own scanner, stopping at the first error.
func forEach(ctx context.Context, n, workers int, fn func(context.Context, *scanner, int) error, newSc func() *scanner) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, max(n, 1))
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	errs := make([]error, n)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := newSc()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, sc, i); err != nil {
					errs[i] = err
					cancel()
					return
				}
			}
		}()
	}
	wg.Wait()
	// The first failing file in walk order, whichever worker saw it first;
	// files stopped because of it do not count.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return parent.Err()
}

// countingReader counts the bytes read from a file for progress and stops
// the read when the context is cancelled.
type countingReader struct {
	r   io.Reader
	ctx context.Context
	n   *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// plan walks the paths and lists the files to read, pruning the trail layout
// by the options. Skipped files are counted in res.
func plan(paths []string, opts Options, res *Result) ([]job, bool, error) {
	var jobs []job
	useStdin := false
	for _, p := range paths {
		if p == "-" {
			if useStdin {
				return nil, false, errors.New(`"-" (stdin) given more than once`)
			}
			useStdin = true
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, false, fmt.Errorf("reading %s: %w", p, err)
		}
		if !fi.IsDir() {
			jobs = append(jobs, job{path: p, size: fi.Size()})
			continue
		}
		err = walkFollowingLinks(p, res, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %v", path, err))
				if opts.Strict {
					return err
				}
				return nil
			}
			if d.IsDir() {
				if path != p && prune(path, opts) {
					res.Scanned.PrunedFolders++
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil // a FIFO or device would block; links are followed by the walk
			}
			if !isTrailFile(path) {
				res.Scanned.SkippedFiles++
				return nil
			}
			if t, ok := delivered(d.Name()); ok && !inWindow(t, t, opts) {
				res.Scanned.PrunedFiles++
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return nil
			}
			jobs = append(jobs, job{path: path, size: info.Size(), inFolder: true})
			return nil
		})
		if err != nil {
			return nil, false, fmt.Errorf("reading %s: %w", p, err)
		}
	}
	return jobs, useStdin, nil
}

// walkFollowingLinks is filepath.WalkDir that also follows symbolic links,
// to files and to folders (users assemble trail folders from links to what
// they synced): fn sees a linked file as the regular file it leads to. A
// link back into a folder already walked is a loop: it is skipped with a
// warning, as is a link that leads nowhere.
func walkFollowingLinks(root string, res *Result, fn fs.WalkDirFunc) error {
	seen := map[string]bool{}
	var walk func(dir string, linked bool) error
	walk = func(dir string, linked bool) error {
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			seen[real] = true
		}
		start := dir
		if linked {
			start += string(filepath.Separator) // WalkDir then follows the link itself
		}
		return filepath.WalkDir(start, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.Type()&fs.ModeSymlink == 0 {
				return fn(path, d, err)
			}
			info, err := os.Stat(path)
			if err != nil {
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s: skipped: a symbolic link that leads nowhere (%v)", path, errors.Unwrap(err)))
				return nil
			}
			if !info.IsDir() {
				return fn(path, fs.FileInfoToDirEntry(info), nil)
			}
			real, err := filepath.EvalSymlinks(path)
			if err != nil || seen[real] {
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s: skipped: a symbolic link back into a folder already read (a loop)", path))
				return nil
			}
			if err := fn(path, fs.FileInfoToDirEntry(info), nil); err != nil {
				if errors.Is(err, filepath.SkipDir) {
					return nil
				}
				return err
			}
			return walk(path, true)
		})
	}
	return walk(root, false)
}

// isTrailFile reports whether a file found in a folder is worth opening:
// JSON, gzipped or not, and not a digest file.
func isTrailFile(path string) bool {
	base := filepath.Base(path)
	if strings.HasPrefix(base, ".") || strings.Contains(path, "CloudTrail-Digest") {
		return false
	}
	for _, ext := range []string{".json", ".json.gz", ".jsonl", ".jsonl.gz"} {
		if strings.HasSuffix(base, ext) {
			return true
		}
	}
	return false
}

// inWindow reports whether files delivered between from and to may hold
// events inside [Since, Until).
func inWindow(from, to time.Time, opts Options) bool {
	if !opts.Since.IsZero() && !to.After(opts.Since) {
		return false
	}
	if !opts.Until.IsZero() && from.After(opts.Until.Add(opts.margin())) {
		return false
	}
	return true
}

func (o Options) margin() time.Duration {
	if o.DeliveryMargin > 0 {
		return o.DeliveryMargin
	}
	return DefaultDeliveryMargin
}

// prune reports whether a folder of the trail layout
// AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD can be skipped.
func prune(path string, opts Options) bool {
	parts := strings.Split(filepath.ToSlash(path), "/")
	ct := -1
	for i := len(parts) - 1; i >= 1; i-- {
		if parts[i] == "CloudTrail" {
			ct = i
			break
		}
	}
	if ct < 0 {
		return false
	}
	level := len(parts) - 1 - ct
	switch level {
	case 0:
		return len(opts.Accounts) > 0 && !slices.Contains(opts.Accounts, parts[ct-1])
	case 1:
		return len(opts.Regions) > 0 && !slices.Contains(opts.Regions, parts[ct+1])
	case 2, 3, 4:
		nums := make([]int, 0, 3)
		for _, s := range parts[ct+2:] {
			v, err := strconv.Atoi(s)
			if err != nil {
				return false
			}
			nums = append(nums, v)
		}
		var from, to time.Time
		switch level {
		case 2:
			from = time.Date(nums[0], 1, 1, 0, 0, 0, 0, time.UTC)
			to = from.AddDate(1, 0, 0)
		case 3:
			from = time.Date(nums[0], time.Month(nums[1]), 1, 0, 0, 0, 0, time.UTC)
			to = from.AddDate(0, 1, 0)
		case 4:
			from = time.Date(nums[0], time.Month(nums[1]), nums[2], 0, 0, 0, 0, time.UTC)
			to = from.AddDate(0, 0, 1)
		}
		return !inWindow(from, to, opts)
	}
	return false
}

// Drain decompresses the files Read would read and throws the text away,
// on the same number of workers: the floor Read's speed is measured
// against. It returns the number of files and of decompressed bytes.
func Drain(ctx context.Context, paths []string, opts Options) (files int, bytes int64, err error) {
	var res Result
	jobs, _, err := plan(paths, opts, &res)
	if err != nil {
		return 0, 0, err
	}
	var total atomic.Int64
	err = forEach(ctx, len(jobs), opts.Workers, func(ctx context.Context, sc *scanner, i int) error {
		f, err := os.Open(jobs[i].path)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err := sc.drain(f)
		total.Add(n)
		return err
	}, func() *scanner { return newScanner(opts) })
	return len(jobs), total.Load(), err
}
