package trail

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// progress shows files and bytes done of the total on one line of a
// terminal, and clears it at the end.
type progress struct {
	w          io.Writer
	files      int
	total      int64
	done       atomic.Int64
	filesDone  atomic.Int64
	start      time.Time
	quit, gone chan struct{}
	once       sync.Once
}

func newProgress(w io.Writer, jobs []job) *progress {
	p := &progress{w: w, files: len(jobs), start: time.Now()}
	for _, j := range jobs {
		p.total += j.size
	}
	if w == nil {
		return p
	}
	p.quit, p.gone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(p.gone)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.quit:
				fmt.Fprint(p.w, "\r\033[K")
				return
			case <-t.C:
				fmt.Fprint(p.w, "\r\033[K"+p.line(time.Since(p.start)))
			}
		}
	}()
	return p
}

func (p *progress) fileDone() { p.filesDone.Add(1) }

// line is the progress text after elapsed time.
func (p *progress) line(elapsed time.Duration) string {
	done := p.done.Load()
	s := fmt.Sprintf("scanning: %d/%d files, %s/%s", p.filesDone.Load(), p.files, size(done), size(p.total))
	if secs := elapsed.Seconds(); secs > 0 && done > 0 {
		rate := float64(done) / secs
		s += fmt.Sprintf(", %s/s", size(int64(rate)))
		if left := p.total - done; left > 0 {
			s += fmt.Sprintf(", %s left", time.Duration(float64(left)/rate*float64(time.Second)).Round(time.Second))
		}
	}
	return s
}

func (p *progress) stop() {
	if p.quit == nil {
		return
	}
	p.once.Do(func() { close(p.quit); <-p.gone })
}

func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
