package trail

import (
	"slices"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
)

// eventSources lists the events' sources as printed, in event order.
func eventSources(evs []Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Source.String())
	}
	return out
}

// TestEventsNameTheirRecord: each event carries, typed, where it was read:
// the file and the record's index in it (the fast trail-file reader and
// the LookupEvents reader alike), stdin, or, for a file Options.Sources
// says stands for an AWS call, that call; the warnings and incomplete files
// name such a file by its call too, never by its path.
func TestEventsNameTheirRecord(t *testing.T) {
	dir := t.TempDir()
	trailPath := writeFile(t, dir, "trail.json", trailFile(t, seedRec("e1"), succeeded(seedRec("e2")), seedRec("e3")))
	lookup := lookupOutput(t, false, succeeded(seedRec("e4")), seedRec("e5"))
	lookupPath := writeFile(t, dir, "lookup-events.json", lookup)

	res := read(t, []string{trailPath, lookupPath}, nil, Options{})
	if got, want := eventSources(res.Events), []string{trailPath + "#1", trailPath + "#3", lookupPath + "#2"}; !slices.Equal(got, want) {
		t.Errorf("sources %q, want %q", got, want)
	}
	if got := res.Events[1].Source; got != (awsid.Source{File: trailPath, Record: 3}) {
		t.Errorf("source %#v, want the file and record 3", got)
	}

	call := awsid.Source{Call: "cloudtrail lookup-events", Account: "111111111111", Region: "ap-northeast-1"}
	res = read(t, []string{lookupPath}, nil, Options{Sources: map[string]awsid.Source{lookupPath: call}})
	if len(res.Events) != 1 || res.Events[0].Source != call.At(2) {
		t.Fatalf("events %+v, want e5 named by the call, record 2", res.Events)
	}
	if got, want := res.Events[0].Source.String(), "aws cloudtrail lookup-events (111111111111, ap-northeast-1) #2"; got != want {
		t.Errorf("source %q, want %q", got, want)
	}

	res = read(t, []string{"-"}, lookup, Options{})
	if got := eventSources(res.Events); !slices.Equal(got, []string{"(stdin)#2"}) {
		t.Errorf("stdin: sources %q", got)
	}

	damaged := gz(t, lookup)
	brokenPath := writeFile(t, dir, "lookup-events-2.json", damaged[:len(damaged)-12])
	res = read(t, []string{brokenPath}, nil, Options{Sources: map[string]awsid.Source{brokenPath: call}})
	if !slices.Equal(res.Incomplete, []string{call.String()}) {
		t.Errorf("incomplete %q, want the call", res.Incomplete)
	}
	if len(res.Warnings) == 0 {
		t.Fatal("no warning for a truncated file")
	}
	for _, w := range res.Warnings {
		if strings.Contains(w, dir) || !strings.HasPrefix(w, call.String()+": ") {
			t.Errorf("warning %q does not name the call alone", w)
		}
	}
}
