package collect

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// recordFromRow rebuilds the CloudTrail record a query row was selected
// from (the rowColumns of AthenaQuery and LakeQuery), so that it goes
// through trail's decoder like a record of a trail file: one decoder. A
// column that is missing or empty is left out of the record, as CloudTrail
// leaves out a field it has no value for.
func recordFromRow(row map[string]string) []byte {
	rec := map[string]any{}
	set := func(m map[string]any, key, col string) {
		if v := row[col]; v != "" {
			m[key] = v
		}
	}
	for _, f := range [][2]string{
		{"eventID", "eventid"}, {"sharedEventID", "sharedeventid"}, {"eventTime", "eventtime"},
		{"eventSource", "eventsource"}, {"eventName", "eventname"}, {"awsRegion", "awsregion"},
		{"recipientAccountId", "recipientaccountid"}, {"errorCode", "errorcode"}, {"errorMessage", "errormessage"},
	} {
		set(rec, f[0], f[1])
	}
	ui := map[string]any{}
	for _, f := range [][2]string{
		{"type", "useridentitytype"}, {"arn", "useridentityarn"}, {"accountId", "useridentityaccountid"},
		{"invokedBy", "useridentityinvokedby"}, {"principalId", "useridentityprincipalid"},
	} {
		set(ui, f[0], f[1])
	}
	if v := row["sessionissuerarn"]; v != "" {
		ui["sessionContext"] = map[string]any{"sessionIssuer": map[string]any{"arn": v}}
	}
	if len(ui) > 0 {
		rec["userIdentity"] = ui
	}
	rp := map[string]any{}
	set(rp, "repositoryName", "repositoryname")
	set(rp, "registryId", "registryid")
	if len(rp) > 0 {
		rec["requestParameters"] = rp
	}
	if arns := strings.Fields(row["resourcearns"]); len(arns) > 0 {
		rs := make([]map[string]string, len(arns))
		for i, a := range arns {
			rs[i] = map[string]string{"ARN": a}
		}
		rec["resources"] = rs
	}
	b, _ := json.Marshal(rec) // strings and maps of strings always marshal
	return b
}

// rowEvents decodes query rows into the events opts keeps, as trail.Read
// does for files: one per event id, newest first. source names the query
// in each event's Source ("athena:QUERY-ID#3").
type rowEvents struct {
	opts   trail.Options
	source string
	res    *trail.Result
	seen   map[string]bool
}

func newRowEvents(source string, opts trail.Options) *rowEvents {
	return &rowEvents{opts: opts, source: source, seen: map[string]bool{},
		res: &trail.Result{Events: []trail.Event{}, Warnings: []string{}, Incomplete: []string{}}}
}

// add decodes one row; a row that is not a record becomes a warning.
func (r *rowEvents) add(row map[string]string) {
	r.res.Scanned.Records++
	n := r.res.Scanned.Records
	e, err := trail.DecodeRecord(recordFromRow(row))
	if err != nil {
		r.res.Warnings = append(r.res.Warnings, fmt.Sprintf("%s row %d: %v", r.source, n, err))
		return
	}
	if !r.opts.Keeps(e) {
		return
	}
	if e.EventID != "" {
		if r.seen[e.EventID] {
			return
		}
		r.seen[e.EventID] = true
	}
	e.Source = diagnose.Source{Name: r.source, Record: n}
	r.res.Events = append(r.res.Events, e)
}

func (r *rowEvents) result() *trail.Result {
	slices.SortStableFunc(r.res.Events, func(a, b trail.Event) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return strings.Compare(a.EventID, b.EventID)
	})
	return r.res
}
