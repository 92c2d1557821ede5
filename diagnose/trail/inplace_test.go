package trail

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// pieces is a reader whose WriteTo hands its text on in pieces of the
// given sizes, in turn, as a decompressor does from its window, then ends
// with err (nil: the end of the file).
type pieces struct {
	b     []byte
	sizes []int
	err   error
}

func (p *pieces) Read([]byte) (int, error) { return 0, errors.New("pieces: read through WriteTo") }

func (p *pieces) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for i := 0; len(p.b) > 0; i++ {
		n := min(p.sizes[i%len(p.sizes)], len(p.b))
		if _, err := w.Write(p.b[:n]); err != nil {
			return total, err
		}
		total += int64(n)
		p.b = p.b[n:]
	}
	return total, p.err
}

// readOnly hides a reader's WriteTo: the scan then fills its buffer, the
// way it reads a source that cannot write in place.
type readOnly struct{ io.Reader }

// TestInPlaceSearchMatchesBufferedRead: a trail file searched in the
// pieces a decompressor writes gives what the buffered read gives (events
// with their record numbers, records counted, warnings), wherever the
// pieces end: in a record start, a needle, a huge record, a long run of
// whitespace, or a file cut short.
func TestInPlaceSearchMatchesBufferedRead(t *testing.T) {
	var recs []rec
	for i := range 3000 {
		r := succeeded(seedRec(fmt.Sprintf("bg-%05d", i)))
		r.EventSource, r.EventName = "s3.amazonaws.com", "GetObject"
		if i%97 == 0 {
			r = seedRec(fmt.Sprintf("n-%05d", i))
		}
		if i == 1500 {
			r.RequestParameters = map[string]any{"registryId": dstAccount, "repositoryName": "my-repo", "pad": strings.Repeat("x", 700<<10)} // fills the buffer
		}
		recs = append(recs, r)
	}
	plain := trailFile(t, recs...)
	a, b := marshal(t, seedRec("w1")), marshal(t, seedRec("w2"))
	nested := marshal(t, seedRec("nested"))
	nested = bytes.Replace(nested, []byte(`"requestParameters":{`), []byte(`"requestParameters":{"inner":{"eventVersion":"1.0"},`), 1)
	texts := map[string][]byte{
		"records":               plain,
		"whitespace between":    []byte(`{"Records":[` + string(a) + "," + strings.Repeat(" ", 600<<10) + string(b) + `]}`),
		"whitespace after":      []byte(`{"Records":[` + string(a) + "," + string(b) + strings.Repeat("\n", 600<<10) + `]}`),
		"a nested record start": []byte(`{"Records":[` + string(a) + "," + string(nested) + "," + string(b) + `]}`),
		"cut short":             plain[:len(plain)-5000],
	}
	for name, text := range texts {
		for _, sizes := range [][]int{{1 << 30}, {32 << 10}, {1}, {7, 15, 16, 17}, {4093, 65536, 3}, {100, 1 << 20}} {
			t.Run(fmt.Sprintf("%s/%v", name, sizes), func(t *testing.T) {
				if len(sizes) == 1 && sizes[0] == 1 && len(text) > 1<<20 {
					t.Skip("a byte at a time through a megabyte: covered by the shorter texts")
				}
				var want, got fileResult
				var end error
				if name == "cut short" {
					end = io.ErrUnexpectedEOF
				}
				s := newScanner(Options{Repository: "my-repo"})
				s.scan("f", readOnly{&headThenPieces{head: bytes.NewReader(text), p: &pieces{err: end}}}, &want)
				s2 := newScanner(Options{Repository: "my-repo"})
				s2.scan("f", &headThenPieces{head: bytes.NewReader(text), p: &pieces{sizes: sizes, err: end}}, &got)
				if g, w := summarize(t, got), summarize(t, want); g != w {
					t.Errorf("in place:\n%s\nbuffered:\n%s", g, w)
				}
			})
		}
	}
}

// headThenPieces is read (the scan's first fill) until its WriteTo is
// called, which writes the rest in pieces.
type headThenPieces struct {
	head *bytes.Reader
	p    *pieces
}

func (h *headThenPieces) Read(b []byte) (int, error) {
	n, err := h.head.Read(b)
	if err == io.EOF && h.p.err != nil {
		err = h.p.err
	}
	return n, err
}

func (h *headThenPieces) WriteTo(w io.Writer) (int64, error) {
	rest, _ := io.ReadAll(h.head)
	h.p.b = rest
	return h.p.WriteTo(w)
}

func summarize(t *testing.T, fr fileResult) string {
	t.Helper()
	b, err := json.Marshal(struct {
		Events               []Event
		Records, Bad         int
		Warnings             []string
		Incomplete, NotTrail bool
	}{fr.events, fr.records, fr.badRecords, fr.warnings, fr.incomplete, fr.notTrail})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
