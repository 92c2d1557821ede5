package trail

import (
	"bytes"
	"encoding/json"
	"io"
)

// Hostile sizes: a run of whitespace between values, however long, costs
// neither memory nor more than one look at each byte, and no value may grow
// past maxRecord. Both paths need it: encoding/json's Decoder keeps a
// whitespace run in its buffer and scans it again on every refill, and the
// fast path would take a run after a record for part of that record.

// stringEnd returns the index just past the closing quote of the JSON string
// whose opening quote came before b, or -1 if b ends inside the string.
// escaped says b[0] is escaped by a backslash at the end of the text before
// b; on -1, the returned escaped says the same of the next text.
func stringEnd(b []byte, escaped bool) (end int, stillEscaped bool) {
	i := 0
	if escaped {
		if len(b) == 0 {
			return -1, true
		}
		i = 1
	}
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			// Only an odd run of backslashes at the end escapes what follows.
			return -1, backslashesBefore(b, len(b), i)%2 == 1
		}
		q := i + j
		if backslashesBefore(b, q, i)%2 == 0 {
			return q + 1, false
		}
		i = q + 1
	}
}

// backslashesBefore counts the backslashes just before b[at], not looking
// before b[from].
func backslashesBefore(b []byte, at, from int) int {
	n := 0
	for k := at - 1; k >= from && b[k] == '\\'; k-- {
		n++
	}
	return n
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// valueEnd returns the index just past the JSON object or array that starts
// at b[0], or -1 when b ends before it does. b need not be valid JSON: only
// strings and brackets are followed.
func valueEnd(b []byte) int {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			e, _ := stringEnd(b[i+1:], false)
			if e < 0 {
				return -1
			}
			i += e
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth <= 0 {
				return i + 1
			}
		}
	}
	return -1
}

// squeezer drops, in place, every whitespace byte outside JSON strings that
// follows another one: a run of any length becomes one byte. Its state
// carries from one call to the next, so text can come in pieces.
type squeezer struct {
	inString, escaped, space bool
}

// squeeze rewrites b and returns how many bytes it kept.
func (q *squeezer) squeeze(b []byte) int {
	w := 0
	for i := 0; i < len(b); {
		if q.inString {
			e, esc := stringEnd(b[i:], q.escaped)
			stop := len(b)
			if e >= 0 {
				stop = i + e
				q.inString, q.escaped = false, false
			} else {
				q.escaped = esc
			}
			w += copy(b[w:], b[i:stop])
			i = stop
			continue
		}
		c := b[i]
		i++
		if isSpace(c) {
			if q.space {
				continue
			}
			q.space = true
		} else {
			q.space = false
			q.inString = c == '"'
		}
		b[w] = c
		w++
	}
	return w
}

// jsonFeed is the reader behind the generic path's json.Decoder: it
// squeezes whitespace runs and refuses to let the value being decoded (what
// the decoder holds beyond its input offset) grow past maxRecord.
type jsonFeed struct {
	r   io.Reader
	dec *json.Decoder
	fed int64 // bytes handed to the decoder
	sq  squeezer
}

func (f *jsonFeed) Read(p []byte) (int, error) {
	if f.dec != nil {
		held := f.fed - f.dec.InputOffset()
		if held >= maxRecord {
			return 0, errTooLarge
		}
		if room := maxRecord - held; int64(len(p)) > room {
			p = p[:room]
		}
	}
	for {
		n, err := f.r.Read(p)
		n = f.sq.squeeze(p[:n])
		f.fed += int64(n)
		// A read that was all one whitespace run gives 0 bytes: read on
		// rather than return 0 with no error.
		if n > 0 || err != nil {
			return n, err
		}
	}
}
