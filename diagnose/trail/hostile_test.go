package trail

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"
)

// TestIncompleteFiles: a file that cannot be read to its end is listed in
// Result.Incomplete, even when records came out of it before the damage.
func TestIncompleteFiles(t *testing.T) {
	full := gz(t, trailFile(t, seedRec("d1"), seedRec("d2"), seedRec("d3")))
	badCRC := bytes.Clone(full)
	badCRC[len(badCRC)-8] ^= 0xff // the CRC-32 of the gzip trailer
	// Records padded so that the first ones are handed over before the cut.
	var many []rec
	for i := range 400 {
		r := seedRec("m" + strings.Repeat("0", 3) + string(rune('a'+i%26)) + string(rune('a'+i/26)))
		many = append(many, r)
	}
	long := gz(t, trailFile(t, many...))
	cases := []struct {
		name, file string
		data       []byte
		warning    string
		partial    bool // some records are decoded before the damage
	}{
		{"bad gzip checksum", "crc.json.gz", badCRC, "invalid checksum", true},
		{"gzip cut in the middle", "cut.json.gz", long[:len(long)*3/4], "truncated", true},
		{"gzip cut in its header", "head.json.gz", full[:5], "reading gzip", false},
		{"empty .gz file", "zero.json.gz", nil, "truncated: the .gz file is empty", false},
		{"JSON cut in the middle", "cut.json", trailFile(t, many...)[:200000], "truncated?", true},
		{"invalid JSON", "bad.json", []byte(`{"Records": [ this is not json`), "invalid JSON", false},
	}
	good := writeFile(t, t.TempDir(), "good.json.gz", gz(t, trailFile(t, seedRec("good"))))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := writeFile(t, t.TempDir(), tc.file, tc.data)
			res := read(t, []string{good, bad}, nil, Options{})
			if !slices.Equal(res.Incomplete, []string{bad}) {
				t.Fatalf("incomplete %q, want [%s]; warnings %q", res.Incomplete, bad, res.Warnings)
			}
			if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], tc.warning) {
				t.Errorf("warnings %q, want one with %q", res.Warnings, tc.warning)
			}
			if tc.partial && res.Scanned.Records < 2 {
				t.Errorf("records before the damage were lost: %d records", res.Scanned.Records)
			}
		})
	}
	t.Run("a file that is not CloudTrail was read whole", func(t *testing.T) {
		other := writeFile(t, t.TempDir(), "registry.json", []byte(`{"registryId":"111111111111"}`))
		empty := writeFile(t, t.TempDir(), "empty.json", nil)
		res := read(t, []string{good, other, empty}, nil, Options{})
		if len(res.Incomplete) != 0 || len(res.Warnings) != 2 {
			t.Fatalf("incomplete %q, warnings %q", res.Incomplete, res.Warnings)
		}
	})
}

// TestMultiMemberGzip: gzip files made of several members (cat a.gz b.gz,
// some writers' flushes) are read to the end, across the member boundary.
func TestMultiMemberGzip(t *testing.T) {
	var recs []rec
	for _, id := range []string{"g1", "g2", "g3", "g4"} {
		recs = append(recs, seedRec(id))
	}
	text := trailFile(t, recs...)
	half := len(text) / 2
	data := append(gz(t, text[:half]), gz(t, text[half:])...)
	for _, name := range []string{"two.json.gz", "pretty.json.gz"} {
		d := data
		if name == "pretty.json.gz" {
			p, _ := json.MarshalIndent(map[string]any{"Records": recs}, "", "  ")
			d = append(gz(t, p[:len(p)/3]), gz(t, p[len(p)/3:])...)
		}
		p := writeFile(t, t.TempDir(), name, d)
		res := read(t, []string{p}, nil, Options{})
		if got := ids(res.Events); len(got) != 4 || len(res.Warnings) > 0 || len(res.Incomplete) > 0 {
			t.Fatalf("%s: events %v, warnings %q", name, got, res.Warnings)
		}
	}
}

// generated is a reader of prefix, then n copies of fill, then suffix,
// counting what was read: large hostile inputs without large test files.
type generated struct {
	r    io.Reader
	read int64
}

func generate(prefix string, fill byte, n int, suffix string) *generated {
	return &generated{r: io.MultiReader(strings.NewReader(prefix), io.LimitReader(repeatByte(fill), int64(n)), strings.NewReader(suffix))}
}

func (g *generated) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	g.read += int64(n)
	return n, err
}

type repeatByte byte

func (b repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// hostileShapes are inputs of every shape Read takes, with a text to put
// where a hostile input grows: inside one record (a bomb: it must stop at
// the record cap) or between records (a whitespace run: it must be
// skipped).
var hostileShapes = []struct {
	name string
	// before and after surround a record's string value; between goes
	// between two records.
	before, after string
	between       [2]string
}{
	{"trail file (fast path)",
		`{"Records":[{"eventVersion":"1.08","x":"`, `"}]}`,
		[2]string{`{"Records":[`, `]}`}},
	{"pretty-printed trail file",
		"{\n  \"Records\": [\n    {\n      \"eventVersion\": \"1.08\", \"x\": \"", "\"\n    }\n  ]\n}\n",
		[2]string{"{\n  \"Records\": [\n", "\n  ]\n}\n"}},
	{"LookupEvents output",
		`{"Events":[{"EventId":"x","CloudTrailEvent":"{\"eventVersion\":\"1.08\",\"x\":\"`, `\"}"}]}`,
		[2]string{`{"Events":[`, `]}`}},
	{"JSON lines",
		`{"eventVersion":"1.08","eventName":"ReplicateImage","x":"`, "\"}\n",
		[2]string{"", "\n"}},
	{"array of records",
		`[{"eventVersion":"1.08","x":"`, `"}]`,
		[2]string{"[", "]"}},
}

// TestRecordCapEveryShape: a record that grows past 16 MB (a gzip bomb
// expands to that in a few kilobytes) stops the read of that file with a
// clear error, whatever the shape, having read little more than the cap.
func TestRecordCapEveryShape(t *testing.T) {
	const size = 64 << 20
	for _, sh := range hostileShapes {
		t.Run(sh.name, func(t *testing.T) {
			in := generate(sh.before, 'A', size, sh.after)
			res, err := Read(context.Background(), []string{"-"}, in, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "larger than 16 MB") || !slices.Equal(res.Incomplete, []string{"(stdin)"}) {
				t.Fatalf("warnings %q, incomplete %q", res.Warnings, res.Incomplete)
			}
			if in.read > maxRecord+1<<20 {
				t.Fatalf("read %d MB of a %d MB record before stopping", in.read>>20, size>>20)
			}
		})
	}
	t.Run("a bare record of many small keys", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(`{"eventVersion":"1.08"`)
		for b.Len() < maxRecord+1<<20 {
			b.WriteString(`,"k":"0123456789012345678901234567890123456789"`)
		}
		b.WriteString("}")
		res := read(t, []string{"-"}, []byte(b.String()), Options{})
		if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "larger than 16 MB") {
			t.Fatalf("warnings %q", res.Warnings)
		}
	})
	t.Run("a gzip bomb on disk", func(t *testing.T) {
		var raw bytes.Buffer
		io.Copy(&raw, generate(hostileShapes[0].before, 'A', size, hostileShapes[0].after))
		p := writeFile(t, t.TempDir(), "bomb.json.gz", gz(t, raw.Bytes()))
		res := read(t, []string{p}, nil, Options{})
		if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "bomb.json.gz: a record is larger than 16 MB") {
			t.Fatalf("warnings %q", res.Warnings)
		}
	})
}

// TestWhitespaceRunsEveryShape: a whitespace run longer than the record cap
// between two records, or after the last, is skipped: both records are
// found and nothing is wrong with the file.
func TestWhitespaceRunsEveryShape(t *testing.T) {
	const run = 2*maxRecord + 4<<20
	a, b := marshal(t, seedRec("w1")), marshal(t, seedRec("w2"))
	for _, sh := range hostileShapes {
		t.Run(sh.name, func(t *testing.T) {
			recA, recB := string(a), string(b)
			sep := ","
			switch sh.name {
			case "LookupEvents output":
				recA = string(marshal(t, map[string]string{"EventId": "w1", "CloudTrailEvent": recA}))
				recB = string(marshal(t, map[string]string{"EventId": "w2", "CloudTrailEvent": recB}))
			case "JSON lines":
				sep = ""
			}
			for _, where := range []string{"between", "after"} {
				var in *generated
				if where == "between" {
					in = generate(sh.between[0]+recA+sep, ' ', run, recB+sh.between[1])
				} else {
					in = generate(sh.between[0]+recA+sep+recB, '\n', run, sh.between[1]+"\n")
				}
				res, err := Read(context.Background(), []string{"-"}, in, Options{})
				if err != nil {
					t.Fatal(err)
				}
				got := ids(res.Events)
				slices.Sort(got)
				if !slices.Equal(got, []string{"w1", "w2"}) || len(res.Warnings) > 0 || res.Scanned.Records != 2 {
					t.Fatalf("%s: events %v, %d records, warnings %q", where, got, res.Scanned.Records, res.Warnings)
				}
			}
		})
	}
}

// TestSqueezeKeepsStrings: whitespace inside strings, escaped quotes and
// backslashes at piece boundaries are left alone.
func TestSqueezeKeepsStrings(t *testing.T) {
	in := `{ "a"  :  "x   y \"  z\\" ,   "b": "\\\"   q" ,` + "\n\n\t" + `"c":[ 1 ,  2 ]}`
	want := `{ "a" : "x   y \"  z\\" , "b": "\\\"   q" ,` + "\n" + `"c":[ 1 , 2 ]}`
	for cut := 0; cut <= len(in); cut++ {
		var q squeezer
		b := []byte(in)
		n1 := q.squeeze(b[:cut])
		n2 := q.squeeze(b[cut:])
		got := string(b[:n1]) + string(b[cut:cut+n2])
		if got != want {
			t.Fatalf("cut %d:\n got %q\nwant %q", cut, got, want)
		}
	}
	if e := valueEnd([]byte(`{"a":"}\"}","b":[{}]} , {`)); e != 21 {
		t.Fatalf("valueEnd = %d, want 21", e)
	}
}

// BenchmarkHostile reads each shape with a 64 MB whitespace run between two
// records, and with a 64 MB record (stopped at the cap).
func BenchmarkHostile(b *testing.B) {
	const size = 64 << 20
	rec := string(marshal(b, seedRec("w1")))
	for _, sh := range hostileShapes {
		sep := ","
		if sh.name == "JSON lines" {
			sep = ""
		}
		b.Run(sh.name+"/whitespace", func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				in := generate(sh.between[0]+rec+sep, ' ', size, rec+sh.between[1])
				if _, err := Read(context.Background(), []string{"-"}, in, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(sh.name+"/bomb", func(b *testing.B) {
			for b.Loop() {
				in := generate(sh.before, 'A', size, sh.after)
				if _, err := Read(context.Background(), []string{"-"}, in, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
