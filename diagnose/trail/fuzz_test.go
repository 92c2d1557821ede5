package trail

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

func seedCorpus(f *testing.F) {
	f.Add(marshal(f, seedRec("seed")))
	f.Add(marshal(f, succeeded(seedRec("ok"))))
	f.Add([]byte(`{"eventVersion":"1.08","eventTime":"2024-05-01T10:00:00Z","eventName":"ReplicateImage","errorCode":"AccessDenied","errorMessage":"User: x is not authorized to perform: ecr:ReplicateImage on resource: arn:aws:ecr:r:1:repository/a with an explicit deny in a VPC endpoint policy transitively through a service control policy","resources":[{"ARN":"arn:aws:ecr:r:1:repository/b"}],"userIdentity":{"type":"AWSService","invokedBy":"ecr.amazonaws.com"}}`))
	f.Add([]byte(`{"eventVersion":"1","eventName":"CreateRepository","eventTime":"2024-05-01 10:00:00","requestParameters":"x","responseElements":{"repository":{"repositoryArn":"arn:aws:ecr:r:1:repository/"}}}`))
	f.Add([]byte(`{"eventName":"ReplicateImage","eventTime":"2024-05-01T10:00:00Z","userIdentity":[],"errorCode":"errorCode"}`))
	f.Add([]byte(`null`))
}

// FuzzDecodeRecord: any input either decodes into an event that survives a
// JSON round trip or is rejected; nothing panics.
func FuzzDecodeRecord(f *testing.F) {
	seedCorpus(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := decodeRecord(data)
		if err != nil {
			return
		}
		if e.EventName == "" || e.Time.IsZero() && e.Time.Location() == nil {
			t.Fatalf("decoded an event without name or time: %+v", e)
		}
		if (e.Denial != nil) && e.ErrorCode == "" {
			t.Fatalf("a denial without an error code: %+v", e)
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		var back Event
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("unmarshal: %v", err)
		}
		ParseDenial(e.ErrorMessage)
	})
}

// FuzzScanShapes: a trail file read by the fast path lists the same events
// as the same records read by the JSON decoder, whenever the decoder reads
// it without a warning.
func FuzzScanShapes(f *testing.F) {
	seedCorpus(f)
	f.Fuzz(func(t *testing.T, record []byte) {
		file := append(append([]byte(`{"Records":[{"eventVersion":"1.08","eventName":"X","eventTime":"2024-01-01T00:00:00Z"},`), record...), []byte(`,`+string(marshal(t, seedRec("tail")))+`]}`)...)
		for _, filter := range []Filter{FilterFailures, FilterAll, FilterAny} {
			opts := Options{Filter: filter}
			var slow, fast fileResult
			s := newScanner(opts)
			s.generic("f", bytesReader(file), &slow)
			if len(slow.warnings) > 0 {
				return
			}
			s.scan("f", bytesReader(file), &fast)
			if !slices.EqualFunc(slow.events, fast.events, func(a, b Event) bool {
				a.Source, b.Source = awsid.Source{}, awsid.Source{}
				ja, _ := json.Marshal(a)
				jb, _ := json.Marshal(b)
				return string(ja) == string(jb)
			}) {
				t.Fatalf("filter %d: fast path %v (warnings %v), decoder %v", filter, ids(fast.events), fast.warnings, ids(slow.events))
			}
		}
	})
}
