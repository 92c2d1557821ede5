package trail

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
)

// bothPaths runs f with the vector search (where this machine has it) and
// with the IndexByte search every machine without it uses.
func bothPaths(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	simd := pairSIMD
	t.Cleanup(func() { pairSIMD = simd })
	if simd {
		t.Run("simd", f)
	} else {
		t.Log("no AVX2 on this machine: only the IndexByte search is tested")
	}
	pairSIMD = false
	t.Run("indexbyte", f)
	pairSIMD = simd
}

func TestFinderMatchesBytesIndex(t *testing.T) {
	long := strings.Repeat("x", 61) + `{"eventVersion":` + strings.Repeat("V{", 70) + "errorCode"
	hay := []string{"", "e", "errorCod", "errorCode", "xerrorCodex", "CCCerrorCodeerrorCode", "errorCCode errorCode",
		`{"eventVersion":{"eventVersion":`, "VVVV{\"eventVersion\":", long, long[:len(long)-1], long[1:]}
	bothPaths(t, func(t *testing.T) {
		for _, needle := range []string{"errorCode", `{"eventVersion":`, "ReplicateImage", "a", "VV", "V{"} {
			f := newFinder(needle)
			for _, h := range hay {
				if got, want := f.index([]byte(h)), bytes.Index([]byte(h), []byte(needle)); got != want {
					t.Errorf("index(%q in %q) = %d, want %d", needle, h, got, want)
				}
				if got, want := f.count([]byte(h)), bytes.Count([]byte(h), []byte(needle)); got != want {
					t.Errorf("count(%q in %q) = %d, want %d", needle, h, got, want)
				}
			}
		}
	})
}

// Every length around the 64-byte blocks, every distance, the pair at every
// position: the vector blocks and the scalar rest must agree with a plain
// loop, and never read past the text (the race detector and -d=checkptr
// would not see an assembly overread, so the text is cut from a larger
// buffer whose bytes beyond it hold the pair).
func TestIndexPairEveryPlace(t *testing.T) {
	naive := func(b []byte, c1, c2 byte, d int) int {
		for i := 0; i+d < len(b); i++ {
			if b[i] == c1 && b[i+d] == c2 {
				return i
			}
		}
		return -1
	}
	bothPaths(t, func(t *testing.T) {
		buf := bytes.Repeat([]byte("ab"), 200)
		for n := 0; n <= 200; n++ {
			for _, d := range []int{1, 2, 7, 31, 32, 33, 63, 64, 65, 130} {
				if d >= n {
					continue
				}
				for p := -1; p+d < n; p++ {
					b := buf[:n:n]
					for i := range b {
						b[i] = 'x'
					}
					for i := n; i < len(buf); i++ {
						buf[i] = 'P' // the pair, beyond the end
					}
					if p >= 0 {
						b[p], b[p+d] = 'P', 'P'
					}
					if got, want := indexPair(b, 'P', 'P', d), naive(b, 'P', 'P', d); got != want {
						t.Fatalf("n=%d d=%d pair at %d: got %d, want %d", n, d, p, got, want)
					}
				}
			}
		}
	})
}

func TestFinderOnRandomText(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	needles := []string{`{"eventVersion":`, replicationRole, "ReplicateImage", "errorCode"}
	bothPaths(t, func(t *testing.T) {
		for range 300 {
			// A small alphabet makes near-misses of every kind common.
			b := make([]byte, r.IntN(3000))
			alpha := "{\"eVvntrsio:AWSFRECpl"
			for i := range b {
				b[i] = alpha[r.IntN(len(alpha))]
			}
			needle := needles[r.IntN(len(needles))]
			for range r.IntN(4) {
				at := r.IntN(len(b) + 1)
				b = append(b[:at], append([]byte(needle), b[at:]...)...)
			}
			f := newFinder(needle)
			f.tune(byteCounts(b))
			if got, want := f.count(b), bytes.Count(b, []byte(needle)); got != want {
				t.Fatalf("count(%q) = %d, want %d in %q", needle, got, want, b)
			}
		}
	})
}

func FuzzFinder(f *testing.F) {
	f.Add([]byte("xxerrorCodeyy"), "errorCode")
	f.Add(bytes.Repeat([]byte(`x{"eventVersion":`), 9), `{"eventVersion":`)
	f.Fuzz(func(t *testing.T, hay []byte, needle string) {
		if needle == "" {
			return
		}
		fd := newFinder(needle)
		want := bytes.Index(hay, []byte(needle))
		if got := fd.index(hay); got != want {
			t.Fatalf("index = %d, want %d", got, want)
		}
		if got := fd.indexByte(hay); got != want {
			t.Fatalf("indexByte = %d, want %d", got, want)
		}
		if fd.k1 != fd.k2 {
			if got := fd.indexPair(hay); got != want {
				t.Fatalf("indexPair = %d, want %d", got, want)
			}
		}
	})
}

// TestCountEveryLength: the vector count of record starts agrees with
// bytes.Count at every length around its 64-position blocks, with starts at
// every place (block edges, the unscanned tail) and near-misses around them,
// and counts nothing past the end of the text it was given.
func TestCountEveryLength(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	needle := []byte(`{"eventVersion":`)
	bothPaths(t, func(t *testing.T) {
		f := newFinder(string(needle))
		if pairSIMD && !f.whole16 {
			t.Fatal("a record start must take the vector count")
		}
		for n := 0; n < 400; n++ {
			buf := make([]byte, n+64)
			for i := range buf {
				buf[i] = `{"eVvntrsio:x`[r.IntN(13)]
			}
			for range r.IntN(6) {
				at := r.IntN(n + 1)
				copy(buf[at:], needle)
				if r.IntN(3) == 0 && at+7 < len(buf) {
					buf[at+7] = 'v' // a near-miss: the pair but not the whole
				}
			}
			copy(buf[n:], needle) // beyond the text: must not count
			b := buf[:n]
			if got, want := f.count(b), bytes.Count(b, needle); got != want {
				t.Fatalf("length %d: count %d, want %d", n, got, want)
			}
		}
	})
}
