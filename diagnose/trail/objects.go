package trail

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"sync"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// Object is a trail log file that is not on this machine's disk: an S3
// object. Open is called once, by one worker, when its turn comes.
type Object struct {
	Name string // s3://bucket/key: named in warnings and in each event's Source
	Size int64  // for progress, and to download it whole; 0 if unknown
	Open func(ctx context.Context) (io.ReadCloser, error)
}

const (
	// fetchBudget bounds the bytes of objects downloaded and not yet
	// scanned (compressed: a trail file's gzip is a tenth of its JSON).
	fetchBudget = 64 << 20
	// maxWhole is the largest object downloaded whole; a larger one, or
	// one of unknown size, is scanned as it streams in.
	maxWhole = fetchBudget / 4
)

// ReadObjects scans objects with the same needle-first reader as Read's
// local files and returns the events opts asks for, merged as Read merges
// files: one per event id, newest first. An object that cannot be opened
// or read is a warning, unless opts.Strict.
//
// opts.Workers objects are downloaded at once (so that many GETs are in
// flight) and GOMAXPROCS of them scanned at once: an object waits whole in
// memory for a scanner (fetchBudget bytes at most), rather than a scanner
// per GET, whose extra buffers, decompressors and switching cost CPU
// (8% of the reader's per GB; BenchmarkS3Scan in cmd/trailgen).
func ReadObjects(ctx context.Context, objs []Object, opts Options) (*Result, error) {
	jobs := make([]job, len(objs))
	for i, o := range objs {
		jobs[i] = job{path: o.Name, size: o.Size}
	}
	results := make([]fileResult, len(objs))
	prog := newProgress(opts.Progress, jobs)
	fetchers := opts.Workers
	if fetchers <= 0 {
		fetchers = runtime.GOMAXPROCS(0)
	}
	f := newFetcher(ctx, fetchers, prog)
	defer f.cancel()
	go f.fetchAll(objs)
	var wg sync.WaitGroup
	errs := make([]error, len(objs))
	for range min(runtime.GOMAXPROCS(0), fetchers, max(len(objs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := newScanner(opts)
			for got := range f.ready {
				i := got.index
				if f.ctx.Err() != nil {
					// Stopped: by the caller, or by a failure under Strict.
					got.close()
					f.done(got)
					continue
				}
				if got.err != nil {
					results[i].warnFile(objs[i].Name, got.err)
				} else {
					results[i] = sc.scanFile(awsid.Source{File: objs[i].Name}, got.reader())
					got.close()
				}
				f.done(got)
				prog.fileDone()
				// A failure seen after the stop may be the stop's doing.
				if opts.Strict && results[i].err != nil && f.ctx.Err() == nil {
					errs[i] = results[i].err
					f.cancel()
				}
			}
		}()
	}
	wg.Wait()
	prog.stop()
	// The first failing file in list order, whichever scanner saw it
	// first.
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res := &Result{Events: []Event{}, Warnings: []string{}, Incomplete: []string{}}
	res.merge(results)
	sortEvents(res.Events)
	return res, nil
}

// fetched is an object downloaded for a scanner: whole in body, or its
// start in body and the rest still to read from rest (a larger object, or
// one that outgrew its listed size), or up to a failure (readErr, which
// the scanner meets where the download met it).
type fetched struct {
	index    int
	err      error // Open's: nothing was read
	body     []byte
	rest     io.ReadCloser
	readErr  error
	reserved int64
}

func (g *fetched) reader() io.Reader {
	switch {
	case g.rest != nil:
		return io.MultiReader(bytes.NewReader(g.body), g.rest)
	case g.readErr != nil:
		return io.MultiReader(bytes.NewReader(g.body), errReader{g.readErr})
	}
	return bytes.NewReader(g.body)
}

func (g *fetched) close() {
	if g.rest != nil {
		g.rest.Close()
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// fetcher downloads objects, workers at a time, into buffers of at most
// fetchBudget bytes in all, and hands them to the scanners in ready.
type fetcher struct {
	ctx     context.Context
	cancel  context.CancelFunc
	workers int
	prog    *progress
	ready   chan *fetched

	mu        sync.Mutex
	cond      *sync.Cond
	used      int64    // bytes reserved by objects not yet scanned
	free      [][]byte // buffers of scanned objects, to reuse
	freeBytes int64    // their capacity, at most fetchBudget
}

func newFetcher(ctx context.Context, workers int, prog *progress) *fetcher {
	ctx, cancel := context.WithCancel(ctx)
	f := &fetcher{ctx: ctx, cancel: cancel, workers: workers, prog: prog, ready: make(chan *fetched)}
	f.cond = sync.NewCond(&f.mu)
	context.AfterFunc(ctx, func() {
		f.mu.Lock()
		f.cond.Broadcast()
		f.mu.Unlock()
	})
	return f
}

// fetchAll downloads the objects in order and closes ready when all are
// handed over or the context ends.
func (f *fetcher) fetchAll(objs []Object) {
	defer close(f.ready)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(f.workers, max(len(objs), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				got := f.fetch(i, objs[i])
				if got == nil {
					return
				}
				select {
				case f.ready <- got:
				case <-f.ctx.Done():
					got.close()
					return
				}
			}
		}()
	}
	for i := range objs {
		select {
		case next <- i:
		case <-f.ctx.Done():
		}
		if f.ctx.Err() != nil {
			break
		}
	}
	close(next)
	wg.Wait()
}

// fetch opens object o and downloads what fits its reservation; nil when
// the context ended first.
func (f *fetcher) fetch(i int, o Object) *fetched {
	want := int64(0)
	if o.Size > 0 && o.Size <= maxWhole {
		// And a little more, to see the end of the body without another
		// read after the object's last byte.
		want = o.Size + 512
	}
	buf, ok := f.reserve(want)
	if !ok {
		return nil
	}
	got := &fetched{index: i, reserved: int64(cap(buf))}
	rc, err := o.Open(f.ctx)
	if err != nil {
		got.err = err
		f.release(got, buf)
		return got
	}
	r := &countingReader{r: rc, ctx: f.ctx, n: &f.prog.done}
	buf, err = fill(buf, r)
	got.body = buf
	switch {
	case err == io.EOF:
		rc.Close()
	case err != nil:
		got.readErr = err
		rc.Close()
	default:
		// Not all of it (or no room at all): the scanner reads the rest.
		got.rest = readCloser{r, rc}
	}
	return got
}

type readCloser struct {
	io.Reader
	io.Closer
}

// reserve waits until a buffer for n bytes fits the budget and returns
// it, empty; false if the context ended first. The budget counts the
// buffers' capacity: a reused one is at most twice what was asked.
func (f *fetcher) reserve(n int64) ([]byte, bool) {
	if n == 0 {
		return nil, true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		if f.ctx.Err() != nil {
			return nil, false
		}
		best := -1
		for j, b := range f.free {
			if c := int64(cap(b)); c >= n && c <= 2*n && (best < 0 || c < int64(cap(f.free[best]))) {
				best = j
			}
		}
		size := n
		if best >= 0 {
			size = int64(cap(f.free[best]))
		}
		if f.used > 0 && f.used+size > fetchBudget {
			f.cond.Wait()
			continue
		}
		f.used += size
		if best < 0 {
			return make([]byte, 0, n), true
		}
		b := f.free[best]
		f.free = append(f.free[:best], f.free[best+1:]...)
		f.freeBytes -= size
		return b, true
	}
}

// done returns a scanned object's buffer and reservation.
func (f *fetcher) done(g *fetched) { f.release(g, g.body) }

func (f *fetcher) release(g *fetched, buf []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.used -= g.reserved
	g.reserved = 0
	if c := int64(cap(buf)); c > 0 && f.freeBytes+c <= fetchBudget {
		f.free = append(f.free, buf[:0])
		f.freeBytes += c
	}
	f.cond.Broadcast()
}
