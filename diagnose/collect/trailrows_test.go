package collect_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
	"github.com/ecrdoctor/ecrdoctor/diagnose/trail"
)

// TestRowGivesTheSameEventAsTheTrailFile: a record read from a trail file
// and the row Athena's (or Lake's) query returns for it decode to the same
// event.
func TestRowGivesTheSameEventAsTheTrailFile(t *testing.T) {
	src, dst := "111111111111", "222222222222"
	at := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	denied := awstest.Event{ID: "e1", SharedID: "s1", Time: at, Account: src, Region: "ap-northeast-1", SourceAccount: src, DestAccount: dst, DestRegion: "ap-northeast-1",
		Repository: "team/app", ErrorCode: "AccessDenied", ErrorMessage: awstest.DeniedMessage(src, dst, "ap-northeast-1", "team/app")}
	ok := denied
	ok.ID, ok.ErrorCode, ok.ErrorMessage, ok.Time = "e2", "", "", at.Add(time.Hour)
	create := ok
	create.ID, create.Name = "e3", "CreateRepository"
	destCopy := denied
	destCopy.ID, destCopy.Account = "e4", dst
	records := []map[string]any{denied.Record(), ok.Record(), create.Record(), destCopy.Record()}
	// The destination's copy of a call names only the service.
	records[3]["userIdentity"] = map[string]any{"type": "AWSService", "invokedBy": "ecr.amazonaws.com"}

	file, _ := json.Marshal(map[string]any{"Records": records})
	path := filepath.Join(t.TempDir(), "trail.json")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, filter := range []trail.Filter{trail.FilterFailures, trail.FilterAll, trail.FilterAny} {
		opts := trail.Options{Filter: filter}
		fromFile, err := trail.Read(t.Context(), []string{path}, nil, opts)
		if err != nil {
			t.Fatal(err)
		}
		var rows []map[string]string
		for _, rec := range records {
			rows = append(rows, athenaRow(t, rec))
		}
		fromRows := collect.DecodeRows("athena:q", opts, rows)
		if len(fromFile.Events) == 0 {
			t.Fatalf("filter %d: the trail file gave no event", filter)
		}
		strip := func(evs []trail.Event) []trail.Event {
			out := append([]trail.Event(nil), evs...)
			for i := range out {
				out[i].Source = awsid.Source{}
			}
			return out
		}
		if !reflect.DeepEqual(strip(fromFile.Events), strip(fromRows.Events)) {
			a, _ := json.MarshalIndent(strip(fromFile.Events), "", " ")
			b, _ := json.MarshalIndent(strip(fromRows.Events), "", " ")
			t.Errorf("filter %d: events differ\nfile: %s\nrows: %s", filter, a, b)
		}
	}
}

// athenaRow is what the query's select list makes of a record: the columns
// of collect.RowColumns, as Athena returns them (strings; a missing field is NULL,
// given here as absent).
func athenaRow(t *testing.T, rec map[string]any) map[string]string {
	t.Helper()
	b, _ := json.Marshal(rec)
	var r struct {
		EventID, SharedEventID, EventTime, EventSource, EventName, AWSRegion string
		RecipientAccountID                                                   string `json:"recipientAccountId"`
		ErrorCode, ErrorMessage                                              string
		UserIdentity                                                         struct {
			Type, ARN, AccountID, InvokedBy, PrincipalID string
			SessionContext                               struct {
				SessionIssuer struct{ ARN string }
			}
		}
		RequestParameters struct{ RepositoryName, RegistryID string }
		Resources         []struct{ ARN string }
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	var arns []string
	for _, res := range r.Resources {
		arns = append(arns, res.ARN)
	}
	row := map[string]string{
		"eventid": r.EventID, "sharedeventid": r.SharedEventID, "eventtime": r.EventTime, "eventsource": r.EventSource,
		"eventname": r.EventName, "awsregion": r.AWSRegion, "recipientaccountid": r.RecipientAccountID,
		"errorcode": r.ErrorCode, "errormessage": r.ErrorMessage,
		"useridentitytype": r.UserIdentity.Type, "useridentityarn": r.UserIdentity.ARN, "useridentityaccountid": r.UserIdentity.AccountID,
		"useridentityinvokedby": r.UserIdentity.InvokedBy, "useridentityprincipalid": r.UserIdentity.PrincipalID,
		"sessionissuerarn": r.UserIdentity.SessionContext.SessionIssuer.ARN, "resourcearns": strings.Join(arns, " "),
		"repositoryname": r.RequestParameters.RepositoryName, "registryid": r.RequestParameters.RegistryID,
	}
	if len(row) != len(collect.RowColumns) {
		t.Fatalf("the test's row has %d columns, the query %d", len(row), len(collect.RowColumns))
	}
	for _, c := range collect.RowColumns {
		if _, ok := row[c]; !ok {
			t.Fatalf("the test's row lacks column %s", c)
		}
	}
	return row
}
