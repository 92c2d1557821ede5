package trail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// failingBody gives body's first n bytes, then fails as a connection that
// drops mid-body does.
type failingBody struct {
	r io.Reader
}

func (f *failingBody) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("connection reset by peer")
	}
	return n, err
}

func (f *failingBody) Close() error { return nil }

func object(name string, size int64, body []byte) Object {
	return Object{Name: name, Size: size, Open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(bytesReader(body)), nil
	}}
}

// manyRecords is a gzipped trail file of n denials, d0 to d(n-1).
func manyRecords(t *testing.T, n int) []byte {
	recs := make([]rec, n)
	for i := range recs {
		recs[i] = seedRec(fmt.Sprintf("d%d", i))
	}
	return gz(t, trailFile(t, recs...))
}

// A GET whose body fails part way is a warning, and the file is named
// incomplete with the events read before the failure: not a clean result,
// however the object is read (whole, as it streams in, or listed smaller
// than it is).
func TestReadObjectsBodyFailingMidway(t *testing.T) {
	big := manyRecords(t, 3000)
	good := gz(t, trailFile(t, seedRec("good")))
	cut := int64(len(big) * 3 / 5)
	for _, tc := range []struct {
		name string
		size int64
	}{
		{"listed size", int64(len(big))},
		{"size unknown", 0},
		{"listed smaller", 100},
		{"larger than downloaded whole", maxWhole + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := []Object{object("s3://b/good.json.gz", int64(len(good)), good), {
				Name: "s3://b/cut.json.gz", Size: tc.size,
				Open: func(context.Context) (io.ReadCloser, error) {
					return &failingBody{r: io.LimitReader(bytesReader(big), cut)}, nil
				},
			}}
			res, err := ReadObjects(context.Background(), objs, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := ids(res.Events)
			if !slices.Contains(got, "good") || !slices.Contains(got, "d0") || slices.Contains(got, "d2999") || len(got) < 100 {
				t.Errorf("events %d (%v...): want good and the cut file's first records, not its last", len(got), got[:min(3, len(got))])
			}
			if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "s3://b/cut.json.gz") || !strings.Contains(res.Warnings[0], "connection reset by peer") {
				t.Errorf("warnings %q, want one naming the cut object and the failure", res.Warnings)
			}
			if !slices.Equal(res.Incomplete, []string{"s3://b/cut.json.gz"}) {
				t.Errorf("incomplete %q, want the cut object", res.Incomplete)
			}
			_, err = ReadObjects(context.Background(), objs, Options{Strict: true})
			if err == nil || !strings.Contains(err.Error(), "s3://b/cut.json.gz") {
				t.Errorf("strict: err %v, want one naming the cut object", err)
			}
		})
	}
}

// Objects are read whole however their listed size errs, and one that
// cannot be opened is a warning naming it.
func TestReadObjectsSizesAndOpenErrors(t *testing.T) {
	body := manyRecords(t, 500)
	objs := []Object{
		object("s3://b/exact.json.gz", int64(len(body)), body),
		object("s3://b/unknown.json.gz", 0, body),
		object("s3://b/smaller.json.gz", 10, body),
		object("s3://b/larger.json.gz", int64(len(body))*3, body),
		{Name: "s3://b/gone.json.gz", Size: 10, Open: func(context.Context) (io.ReadCloser, error) {
			return nil, errors.New("NoSuchKey: the key does not exist")
		}},
	}
	res, err := ReadObjects(context.Background(), objs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The same event ids in each file: one event each, from 4 files.
	if len(res.Events) != 500 || res.Scanned.Records != 4*500 || res.Scanned.Files != 5 {
		t.Errorf("%d events of %d records in %d files, want 500 of 2000 in 5", len(res.Events), res.Scanned.Records, res.Scanned.Files)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "s3://b/gone.json.gz") || !strings.Contains(res.Warnings[0], "NoSuchKey") {
		t.Errorf("warnings %q, want one naming the object that could not be opened", res.Warnings)
	}
}

// No more than Workers GETs are in flight (opened, body not yet read to
// its end), and every object is read.
func TestReadObjectsBoundsGetsInFlight(t *testing.T) {
	body := manyRecords(t, 50)
	var open, peak atomic.Int64
	var mu sync.Mutex
	var objs []Object
	for i := range 40 {
		objs = append(objs, Object{Name: fmt.Sprintf("s3://b/%d.json.gz", i), Size: int64(len(body)), Open: func(context.Context) (io.ReadCloser, error) {
			n := open.Add(1)
			mu.Lock()
			peak.Store(max(peak.Load(), n))
			mu.Unlock()
			return &closeCounter{Reader: bytesReader(body), open: &open}, nil
		}})
	}
	res, err := ReadObjects(context.Background(), objs, Options{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Scanned.Files != 40 || res.Scanned.Records != 40*50 {
		t.Errorf("scanned %+v, want 40 files of 50 records", res.Scanned)
	}
	if p := peak.Load(); p > 3 {
		t.Errorf("%d GETs in flight at once, want at most 3 (Workers)", p)
	}
	if n := open.Load(); n != 0 {
		t.Errorf("%d bodies left open", n)
	}
}

type closeCounter struct {
	io.Reader
	open *atomic.Int64
	once sync.Once
}

func (c *closeCounter) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return nil
}

// A cancelled read stops and says so.
func TestReadObjectsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	body := manyRecords(t, 5)
	if _, err := ReadObjects(ctx, []Object{object("s3://b/a.json.gz", int64(len(body)), body)}, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}
