package trail

import (
	"context"
	"io"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// Object is a trail log file that is not on this machine's disk: an S3
// object. Open is called once, by one worker, when its turn comes.
type Object struct {
	Name string // s3://bucket/key: named in warnings and in each event's Source
	Size int64  // for progress; 0 if unknown
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// ReadObjects scans objects with the same needle-first reader as Read's
// local files, opts.Workers of them at once (so that many GETs are in
// flight), and returns the events opts asks for, merged as Read merges
// files: one per event id, newest first. An object that cannot be opened
// or read is a warning, unless opts.Strict.
func ReadObjects(ctx context.Context, objs []Object, opts Options) (*Result, error) {
	jobs := make([]job, len(objs))
	for i, o := range objs {
		jobs[i] = job{path: o.Name, size: o.Size}
	}
	results := make([]fileResult, len(objs))
	prog := newProgress(opts.Progress, jobs)
	err := forEach(ctx, len(objs), opts.Workers, func(ctx context.Context, sc *scanner, i int) error {
		rc, err := objs[i].Open(ctx)
		if err != nil {
			results[i].warnFile(objs[i].Name, err)
		} else {
			results[i] = sc.scanFile(awsid.Source{File: objs[i].Name}, &countingReader{r: rc, ctx: ctx, n: &prog.done})
			rc.Close()
		}
		prog.fileDone()
		if opts.Strict && results[i].err != nil {
			return results[i].err
		}
		return nil
	}, func() *scanner { return newScanner(opts) })
	prog.stop()
	if err != nil {
		return nil, err
	}
	res := &Result{Events: []Event{}, Warnings: []string{}, Incomplete: []string{}}
	res.merge(results)
	sortEvents(res.Events)
	return res, nil
}
