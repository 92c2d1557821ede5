package trail

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// overheadText is a trail log file of realistic records, uncompressed: a
// replication denial every 500 records among calls of other services.
func overheadText(b *testing.B) []byte {
	var recs []rec
	for i := range 12000 {
		r := succeeded(seedRec(fmt.Sprintf("bg-%06d", i)))
		r.EventSource, r.EventName = "s3.amazonaws.com", "GetObject"
		r.UserIdentity.ARN = fmt.Sprintf("arn:aws:sts::333333333333:assumed-role/app-%d/i-%08x", i%37, i)
		r.RequestParameters = map[string]any{"bucketName": "logs-" + strings.Repeat("x", i%40), "key": fmt.Sprintf("p/%d/obj-%d.json", i%91, i), "Host": "logs.s3.ap-northeast-1.amazonaws.com"}
		r.ResponseElements = map[string]any{"x-amz-version-id": fmt.Sprintf("v%032d", i)}
		if i%500 == 0 {
			r = seedRec(fmt.Sprintf("n-%06d", i))
		}
		recs = append(recs, r)
	}
	return trailFile(b, recs...)
}

// BenchmarkScanOverhead is the scanner's own cost, without decompression:
// scan and drain read the same text from memory; their difference is what
// the scan adds to a decompress-only pass.
func BenchmarkScanOverhead(b *testing.B) {
	text := overheadText(b)
	b.Run("drain", func(b *testing.B) {
		s := newScanner(Options{Repository: "my-repo"})
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			s.drain(bytes.NewReader(text))
		}
	})
	b.Run("scan", func(b *testing.B) {
		s := newScanner(Options{Repository: "my-repo"})
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			fr := s.scanFile(awsid.Source{File: "f"}, bytes.NewReader(text))
			if len(fr.events) != 24 || fr.records != 12000 {
				b.Fatalf("%d events, %d records", len(fr.events), fr.records)
			}
		}
	})
}
