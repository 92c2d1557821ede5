package awstest

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// S3StandIn is a minimal in-process S3 serving ListObjectsV2 and GetObject
// (path style) for one bucket's objects held in memory: a fast network side,
// to tell the trail reader's pace from moto's (a Python server).
type S3StandIn struct {
	URL   string
	Gets  atomic.Int64 // GetObject requests served
	Lists atomic.Int64 // ListObjectsV2 requests served
	// Latency holds each request that long before it is answered, as a
	// distant S3 would. PeakFolderLists is the most folder listings (a
	// ListObjectsV2 with a delimiter) that were in flight at once.
	Latency         time.Duration
	PeakFolderLists atomic.Int64
	folderLists     atomic.Int64
	bucket          string
	keys            []string // sorted
	files           map[string][]byte
}

// StartS3StandIn serves files (key to body) as bucket until the test ends.
func StartS3StandIn(t testing.TB, bucket string, files map[string][]byte) *S3StandIn {
	t.Helper()
	s := newS3StandIn(bucket, files)
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

func newS3StandIn(bucket string, files map[string][]byte) *S3StandIn {
	s := &S3StandIn{bucket: bucket, files: files}
	for k := range files {
		s.keys = append(s.keys, k)
	}
	sort.Strings(s.keys)
	return s
}

type s3Listing struct {
	XMLName               xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name                  string
	Prefix                string
	KeyCount              int
	MaxKeys               int
	IsTruncated           bool
	NextContinuationToken string `xml:",omitempty"`
	Contents              []struct {
		Key  string
		Size int
	}
	CommonPrefixes []struct{ Prefix string }
}

func (s *S3StandIn) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("delimiter") != "" {
		n := s.folderLists.Add(1)
		defer s.folderLists.Add(-1)
		for peak := s.PeakFolderLists.Load(); n > peak && !s.PeakFolderLists.CompareAndSwap(peak, n); peak = s.PeakFolderLists.Load() {
		}
	}
	time.Sleep(s.Latency) // in flight meanwhile
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if r.Method != http.MethodGet || bucket != s.bucket {
		http.Error(w, "<Error><Code>NoSuchBucket</Code></Error>", http.StatusNotFound)
		return
	}
	if key != "" {
		body, ok := s.files[key]
		if !ok {
			http.Error(w, "<Error><Code>NoSuchKey</Code></Error>", http.StatusNotFound)
			return
		}
		s.Gets.Add(1)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
		return
	}
	s.Lists.Add(1)
	q := r.URL.Query()
	prefix, delim, after := q.Get("prefix"), q.Get("delimiter"), q.Get("continuation-token")
	const maxKeys = 1000
	out := s3Listing{Name: s.bucket, Prefix: prefix, MaxKeys: maxKeys}
	seen := map[string]bool{}
	for _, k := range s.keys[sort.SearchStrings(s.keys, prefix):] {
		if !strings.HasPrefix(k, prefix) {
			break
		}
		if k <= after {
			continue
		}
		cp := ""
		if i := strings.Index(k[len(prefix):], delim); delim != "" && i >= 0 {
			cp = k[:len(prefix)+i+len(delim)]
		}
		if cp != "" && seen[cp] {
			after = k // rolled up into a prefix already listed
			continue
		}
		if out.KeyCount == maxKeys {
			out.IsTruncated, out.NextContinuationToken = true, after
			break
		}
		if cp != "" {
			seen[cp] = true
			out.CommonPrefixes = append(out.CommonPrefixes, struct{ Prefix string }{cp})
		} else {
			out.Contents = append(out.Contents, struct {
				Key  string
				Size int
			}{k, len(s.files[k])})
		}
		out.KeyCount++
		after = k
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Write([]byte(xml.Header))
	xml.NewEncoder(w).Encode(out)
}
